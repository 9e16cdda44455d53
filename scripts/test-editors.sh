#!/usr/bin/env bash
# Tests the editor support for NPL under editors/: the VS Code extension
# (TextMate scope assertions, snapshots, starting `npc lsp`, .vsix
# packaging), the Vim syntax (golden syntax-group dumps) and `:make`, Neovim's
# built-in LSP client against `npc lsp`, the tree-sitter grammar (generate,
# corpus and highlight tests, every example parses cleanly) and a
# consistency check that all three know every keyword and operator of
# grammar/npl.pest.
#
# Needs Node 20 + npm, cargo, gcc, vim and python3; installs the rest (npm
# packages from editors/vscode/package-lock.json, tree-sitter-cli into
# .tools/, Debian's neovim) on first run and reuses it afterwards.
#
#   scripts/test-editors.sh            run the tests
#   scripts/test-editors.sh --update   rewrite snapshots and golden files
#                                      (review the diff before committing)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
editors="$root/editors"
tools="$root/.tools"
ts_version="0.26.13"

# shellcheck source=lib/checks.sh
source "$root/scripts/lib/checks.sh"

# The files every syntax is run over: the repository's examples and the
# editor samples. Prints `GROUP/NAME PATH` lines.
sample_files() {
  local f
  if [ -d "$root/examples" ]; then
    find "$root/examples" -name '*.npl' -type f | LC_ALL=C sort | while read -r f; do
      echo "examples/${f#"$root/examples/"} $f"
    done
  fi
  for f in "$editors"/test/*.npl; do
    [ -e "$f" ] && echo "samples/$(basename "$f") $f"
  done
}

# ------------------------------------------------------------------ setup
setup_node() {
  cd "$editors/vscode"
  local stamp=node_modules/.npc-package-lock
  if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
    # --ignore-scripts: no install script may download anything; packaging
    # and the grammar tests need none of them.
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
}

setup_tree_sitter() {
  if ! "$tools/bin/tree-sitter" --version 2>/dev/null | grep -q "^tree-sitter $ts_version\b"; then
    # Without default features the CLI runs grammar.js with node instead of
    # an embedded JavaScript engine whose build needs libclang.
    cargo install --locked --quiet "tree-sitter-cli@$ts_version" \
      --no-default-features --root "$tools"
  fi
  mkdir -p "$tools/tree-sitter"
  printf '{"parser-directories": ["%s"]}\n' "$editors" > "$tools/tree-sitter/config.json"
}

setup_neovim() {
  command -v nvim >/dev/null || { apt-get update; apt-get install -y neovim; }
}

# The language server the editor tests talk to (the release build, which
# scripts/test.sh has built already; a debug build would compile every
# dependency again, at the test profile's other optimization level).
setup_npc() {
  cargo build --quiet --locked --release --bin npc
}

echo "== setup"
setup_node
setup_tree_sitter
setup_neovim
setup_npc
export PATH="$root/target/release:$tools/bin:$editors/vscode/node_modules/.bin:$PATH"
export TREE_SITTER_DIR="$tools/tree-sitter"
export TREE_SITTER_LIBDIR="$tools/tree-sitter/lib"

# ------------------------------------------------------------------ VS Code
textmate_scopes() {
  cd "$editors/vscode"
  vscode-tmgrammar-test --compact "test/*.test.npl"
}

textmate_snapshots() {
  local snaps="$editors/vscode/test/snapshots" key path missing=0
  find "$snaps" -name '*.npl' -delete 2>/dev/null || true
  while read -r key path; do
    mkdir -p "$snaps/$(dirname "$key")"
    cp "$path" "$snaps/$key"
    if [ "$update" -eq 0 ] && [ ! -e "$snaps/$key.snap" ]; then
      echo "no snapshot for $key: run scripts/test-editors.sh --update and review it"
      missing=1
    fi
  done < <(sample_files)
  while read -r snap; do
    if [ ! -e "${snap%.snap}" ]; then
      if [ "$update" -eq 1 ]; then rm "$snap"; else echo "stale snapshot: $snap"; missing=1; fi
    fi
  done < <(find "$snaps" -name '*.snap')
  [ "$missing" -eq 0 ]
  cd "$editors/vscode"
  local args=(-s source.npl -g syntaxes/npl.tmLanguage.json --expandDiff)
  [ "$update" -eq 1 ] && args+=(--updateSnapshot)
  vscode-tmgrammar-snap "${args[@]}" "test/snapshots/**/*.npl"
  # Valid NPL must not be marked invalid anywhere.
  if find test/snapshots/examples -name '*.snap' -print0 | xargs -0 grep -l 'invalid\.' test/snapshots/samples/tokens.npl.snap; then
    echo "the files above are valid NPL but have invalid.* scopes"
    return 1
  fi
}

vscode_extension() {
  cd "$editors/vscode"
  NPC_BIN="$root/target/release/npc" node --test test/extension.test.js
}

# `package.sh --install` where VS Code's `code` is missing: a clear error
# at once, nothing built (it once failed after a whole build).
vsix_install_needs_code() {
  cd "$editors/vscode"
  rm -rf build
  local err rc=0
  err="$(NPC_VSCODE_CLI=npc-no-such-code-cli ./package.sh --install 2>&1 >/dev/null)" || rc=$?
  [ "$rc" -eq 1 ] || { echo "exit $rc, expected 1"; return 1; }
  grep -q 'is not in PATH; nothing was built' <<<"$err" || { echo "$err"; return 1; }
  [ ! -e build ] || { echo "build/ was created"; return 1; }
}

# The one command the README gives, from a state without build/.
vsix_package() {
  cd "$editors/vscode"
  rm -rf build
  ./package.sh
  python3 - build/npl.vsix <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = {"extension/package.json", "extension/language-configuration.json",
        "extension/syntaxes/npl.tmLanguage.json", "extension/snippets/npl.code-snippets",
        "extension/extension.js",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension/node_modules/vscode-jsonrpc/package.json"}
missing = need - names
dev = ("@vscode/vsce", "vscode-tmgrammar-test", ".npc-package-lock")
extra = [n for n in names if "/test/" in n or any(d in n for d in dev)]
if missing or extra:
    sys.exit(f"vsix: missing {sorted(missing)}, unexpected {sorted(extra)}")
PY
}

# ------------------------------------------------------------------ tree-sitter
tree_sitter_generate() {
  cd "$editors/tree-sitter-npl"
  local before
  before="$(mktemp -d)"
  cp -r src "$before/src"
  tree-sitter generate
  if ! diff -r -q "$before/src" src; then
    rm -rf "$before"
    if [ "$update" -eq 1 ]; then return 0; fi
    echo "the committed src/ is not what grammar.js generates: commit the regenerated src/"
    return 1
  fi
  rm -rf "$before"
}

tree_sitter_test() {
  cd "$editors/tree-sitter-npl"
  local args=()
  [ "$update" -eq 1 ] && args+=(--update)
  tree-sitter test "${args[@]}"
}

tree_sitter_parse_samples() {
  cd "$editors/tree-sitter-npl"
  local key path bad=0 out
  while read -r key path; do
    [ "$key" = samples/invalid.npl ] && continue
    out="$(tree-sitter parse "$path")"
    if grep -E 'ERROR|MISSING' <<<"$out"; then
      echo "$key does not parse cleanly"
      bad=1
    fi
  done < <(sample_files)
  [ "$bad" -eq 0 ]
}

# ------------------------------------------------------------------ Vim
vim_syntax_dump() {
  NPL_SYNTAX_OUT="$2" vim -Nu NONE -i NONE -Es \
    -c "set rtp^=$editors/vim" -c 'filetype plugin on' -c 'syntax on' \
    -c "edit $1" -c "source $editors/vim/test/dump-syntax.vim" -c 'qa!'
  [ -s "$2" ] || { echo "vim wrote no syntax dump for $1"; return 1; }
  # the filetype must come from ftdetect, the comment style from ftplugin
  NPL_SYNTAX_OUT="$2.ft" vim -Nu NONE -i NONE -Es \
    -c "set rtp^=$editors/vim" -c 'filetype plugin on' -c "edit $1" \
    -c 'call writefile([&filetype, &commentstring], $NPL_SYNTAX_OUT)' -c 'qa!'
  [ "$(cat "$2.ft")" = "npl"$'\n'"# %s" ] || { echo "ftdetect/ftplugin not applied: $(cat "$2.ft")"; return 1; }
}

vim_golden() {
  local golden="$editors/vim/test/golden" key path bad=0 tmp
  tmp="$(mktemp -d)"
  while read -r key path; do
    mkdir -p "$tmp/$(dirname "$key")"
    vim_syntax_dump "$path" "$tmp/$key.syntax"
    if [ "$update" -eq 1 ]; then
      mkdir -p "$golden/$(dirname "$key")"
      cp "$tmp/$key.syntax" "$golden/$key.syntax"
    elif [ ! -e "$golden/$key.syntax" ]; then
      echo "no golden file for $key: run scripts/test-editors.sh --update and review it"
      bad=1
    elif ! diff -u "$golden/$key.syntax" "$tmp/$key.syntax"; then
      echo "vim syntax of $key differs from $golden/$key.syntax"
      bad=1
    fi
    if [ "$key" != samples/invalid.npl ] && grep -E ' npl[A-Za-z]*(Error|Bad)[A-Za-z]* ' "$tmp/$key.syntax"; then
      echo "$key is valid NPL but vim marks the tokens above as errors"
      bad=1
    fi
  done < <(sample_files)
  rm -rf "$tmp"
  [ "$bad" -eq 0 ]
}

# `:make` runs `npc check` and the errorformat turns its report into the
# quickfix list.
vim_make() {
  local out
  out="$(mktemp)"
  (cd "$root" && NPL_QF_OUT="$out" vim -Nu NONE -i NONE -Es \
    -c "set rtp^=$editors/vim" -c 'filetype plugin on' \
    -c 'edit tests/cases/err/E002-unknown-alias.npl' -c 'silent make' \
    -c 'call writefile(map(getqflist(), {_, e -> bufname(e.bufnr) . ":" . e.lnum . ":" . e.col . ": " . e.type . e.nr . " " . e.text}), $NPL_QF_OUT)' \
    -c 'qa!') > /dev/null
  local want="tests/cases/err/E002-unknown-alias.npl:3:7: E2 unknown alias \`frontnd\`"
  if [ "$(cat "$out")" != "$want" ]; then
    echo "quickfix list: $(cat "$out")"
    echo "expected:      $want"
    rm -f "$out"
    return 1
  fi
  rm -f "$out"
}

# ------------------------------------------------------------------ Neovim
# Neovim's own LSP client (Debian's neovim, 0.7) against `npc lsp`: the
# plugin starts the server, editors/vim/test/lsp.lua asks for diagnostics,
# hover and definition and edits the buffer; its report must equal
# editors/vim/test/lsp.expected.
neovim_lsp() {
  local home out
  home="$(mktemp -d)"
  out="$home/lsp.out"
  (cd "$root" && XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
    XDG_STATE_HOME="$home/state" XDG_CACHE_HOME="$home/cache" NPL_LSP_OUT="$out" \
    timeout 120 nvim --headless -i NONE -n --cmd "set rtp^=$editors/vim" \
    --cmd 'filetype plugin on' -c 'edit examples/shop.npl' \
    -c "luafile $editors/vim/test/lsp.lua") < /dev/null > /dev/null 2>&1 || true
  local expected="$editors/vim/test/lsp.expected" rc=0
  if [ ! -s "$out" ]; then
    echo "neovim wrote no report"
    rc=1
  elif [ "$update" -eq 1 ]; then
    cp "$out" "$expected"
  elif ! diff -u "$expected" "$out"; then
    echo "neovim's LSP session differs from $expected"
    rc=1
  fi
  rm -rf "$home"
  return "$rc"
}

# ------------------------------------------------------------------ run
check "textmate scope assertions" textmate_scopes
check "textmate snapshots" textmate_snapshots
check "vscode extension starts npc lsp" vscode_extension
check "vsix package" vsix_package
check "vsix --install without code stops before building" vsix_install_needs_code
check "tree-sitter generate" tree_sitter_generate
check "tree-sitter corpus and highlight tests" tree_sitter_test
check "tree-sitter parses every example" tree_sitter_parse_samples
check "keywords and operators consistent with grammar/npl.pest" python3 "$editors/test/check_consistency.py"
check "vim syntax golden files" vim_golden
check "vim :make and errorformat" vim_make
check "neovim lsp client against npc lsp" neovim_lsp

echo
checks_summary editors
