#!/usr/bin/env bash
# Creates (once) the Python virtualenv with the independent checkers the test
# suite uses: `nca` (network-config-analyzer) and `kubernetes-validate`.
# Prints the venv's bin directory. Safe to run repeatedly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${NPC_VENV:-$root/.venv}"
req="$root/scripts/requirements.txt"
stamp="$venv/.npc-requirements"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin"
