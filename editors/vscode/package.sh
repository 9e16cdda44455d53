#!/usr/bin/env bash
# Builds the NPL extension for VS Code into build/npl.vsix, from a fresh
# checkout: installs the npm packages of package-lock.json, then packages.
#
#   editors/vscode/package.sh             build build/npl.vsix
#   editors/vscode/package.sh --install   and install it with `code` (checked
#                                         for before anything is built)
#
# Needs Node.js 18+ and npm. The language server is the `npc` binary
# (`cargo install --path .` at the repository root); the extension looks
# for it in PATH, or where the setting `npl.server.path` says.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

install=0
case "${1:-}" in
  --install) install=1 ;;
  "") ;;
  *) echo "usage: $0 [--install]" >&2; exit 2 ;;
esac

# Before any work: --install needs VS Code's command line, `code`.
code="${NPC_VSCODE_CLI:-code}"
if [ "$install" -eq 1 ] && ! command -v "$code" >/dev/null; then
  cat >&2 <<EOF
error: \`$code\` (the VS Code command line) is not in PATH; nothing was built
  help: in VS Code run "Shell Command: Install 'code' command in PATH", or
        build without --install and install build/npl.vsix from VS Code's
        Extensions view ("Install from VSIX...")
EOF
  exit 1
fi

stamp=node_modules/.npc-package-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  # --ignore-scripts: no install script may download anything; packaging
  # needs none of them.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
# vsce lists every packaged file: kept in build/package.log, shown on failure.
mkdir -p build
if ! npm run --silent package < /dev/null > build/package.log 2>&1; then
  cat build/package.log >&2
  echo "error: packaging failed (the log above is in $(pwd)/build/package.log)" >&2
  exit 1
fi
echo "built $(pwd)/build/npl.vsix"

if [ "$install" -eq 1 ]; then
  "$code" --install-extension build/npl.vsix
  command -v npc >/dev/null || echo "note: npc is not in PATH: install it (cargo install --path .) or set npl.server.path" >&2
fi
