#!/usr/bin/env bash
# Builds the NPL extension for VS Code into build/npl.vsix, from a fresh
# checkout: installs the npm packages of package-lock.json, then packages.
#
#   editors/vscode/package.sh             build build/npl.vsix
#   editors/vscode/package.sh --install   and install it with `code`
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

stamp=node_modules/.npc-package-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  # --ignore-scripts: no install script may download anything; packaging
  # needs none of them.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run --silent package < /dev/null
echo "built $(pwd)/build/npl.vsix"

if [ "$install" -eq 1 ]; then
  code --install-extension build/npl.vsix
  command -v npc >/dev/null || echo "note: npc is not in PATH: install it (cargo install --path .) or set npl.server.path" >&2
fi
