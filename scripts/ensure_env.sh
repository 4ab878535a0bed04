#!/usr/bin/env bash
# Create the project's virtual environment in .venv when it is missing (or incomplete), then print its python.
# Usage: PY=$(scripts/ensure_env.sh)      Override the location with BASIC_VENV=/path/to/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BASIC_VENV:-.venv}"
STAMP="$VENV/.basic-installed"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "setting up $VENV (first run: a few minutes)" >&2
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  # torch is not pinned: pip takes the newest release it may (here a local 2.14.1)
  "$VENV/bin/python" -m pip install -q -e ".[all]" >&2
  touch "$STAMP"
fi
echo "$VENV/bin/python"
