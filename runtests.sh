#!/usr/bin/env bash
# The test command: unit tests, golden parity, offline fetch/extract tests and nbval over every notebook.
# Creates .venv on first use (scripts/ensure_env.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
PY=$(scripts/ensure_env.sh)
targets=(tests)
if compgen -G "notebooks/*.ipynb" > /dev/null; then targets+=(--nbval-lax notebooks); fi
exec "$PY" -m pytest "${targets[@]}" "$@"
