#!/usr/bin/env bash
# The main job: run every companion notebook in order and regenerate figures/ and the results summary.
#
#   ./runall.sh [PROFILE] [OUTDIR]
#     PROFILE  tiny (default: the offline tiny world, built on first use), icir (real i-CIR features,
#              see README.md "Running on the real i-CIR"), or golden (the small golden case, for development)
#     OUTDIR   where the executed notebooks and their logs go (default out/PROFILE/, git-ignored)
#
# Figures: figures/ for tiny (the published ones), figures/icir/ for icir, OUTDIR/figures for golden; results summary in
# FIGURES/summary.md and FIGURES/summary.csv, the exercises' answers in FIGURES/solutions.md ($BASIC_FIGURES_DIR
# overrides FIGURES). Only this script writes into figures/: a notebook run any other way writes to out/scratch/.
# Tiny profile with the published figures/: the executed notebooks, cleaned, are also written back into
# notebooks/*.ipynb (scripts/publish_notebooks.py), so the committed notebooks carry the outputs; set
# BASIC_PUBLISH=0 to skip that. Stops at the first failing notebook and names it.
# Environment: .venv is created when missing (scripts/ensure_env.sh); BASIC_PYTHON=/path/to/python uses
# an existing environment instead. Data: $BASIC_DATA_DIR (tiny world, default data/tiny) and
# $BASIC_ICIR_FEATURES (icir features folder, default features/clip) reach the notebooks through the
# environment (basic.profiles); BASIC_BACKBONE=NAME becomes the notebooks' backbone parameter.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PROFILE="${1:-tiny}"
OUT="${2:-out/$PROFILE}"
case "$PROFILE" in
  tiny|icir|golden) ;;
  *) echo "usage: ./runall.sh [tiny|icir|golden] [OUTDIR]   (unknown profile '$PROFILE')" >&2; exit 2 ;;
esac
case "$PROFILE" in tiny) FIG="$ROOT/figures" ;; icir) FIG="$ROOT/figures/icir" ;; *) FIG="" ;; esac
PY="${BASIC_PYTHON:-$(scripts/ensure_env.sh)}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -n "$FIG" ] || FIG="$OUT/figures"   # golden: development figures stay out of figures/
PUBLISH=0
[ "$PROFILE" = tiny ] && [ -z "${BASIC_FIGURES_DIR:-}" ] && [ "${BASIC_PUBLISH:-1}" != 0 ] && PUBLISH=1
FIG="${BASIC_FIGURES_DIR:-$FIG}"
mkdir -p "$FIG/results"
rm -f "$FIG"/results/*.csv

start=$(date +%s)
extra=()
[ -n "${BASIC_BACKBONE:-}" ] && extra+=(-p backbone "$BASIC_BACKBONE")

if [ "$PROFILE" = tiny ]; then
  echo "== the tiny world (built once, then cached under data/tiny/)"
  "$PY" -c "from basic.profiles import build_tiny; print(build_tiny())"
fi

notebooks=(notebooks/[0-9][0-9]_*.ipynb)
total=${#notebooks[@]}
i=0
for nb in "${notebooks[@]}"; do
  i=$((i + 1))
  name=$(basename "$nb" .ipynb)
  printf '== [%2d/%d] %-40s ' "$i" "$total" "$name"
  t0=$(date +%s)
  if ! "$PY" -m papermill "$nb" "$OUT/$name.ipynb" --cwd notebooks -k python3 --no-progress-bar \
        --log-level WARNING -p profile "$PROFILE" -p figures_dir "$FIG" "${extra[@]}" > "$OUT/$name.log" 2>&1; then
    echo "FAILED"
    tail -n 25 "$OUT/$name.log" >&2
    echo "runall.sh: notebook $nb FAILED on profile $PROFILE; executed copy: $OUT/$name.ipynb, log: $OUT/$name.log" >&2
    exit 1
  fi
  echo "ok ($(( $(date +%s) - t0 )) s)"
done

"$PY" -c "import sys; from basic.plots import write_summary; write_summary(sys.argv[1])" "$FIG"
echo "== the exercises' answers"
sol_args=(--profile "$PROFILE" --out "$FIG/solutions.md")
[ -n "${BASIC_BACKBONE:-}" ] && sol_args+=(--backbone "$BASIC_BACKBONE")
if ! "$PY" scripts/solutions.py "${sol_args[@]}" > "$OUT/solutions.log" 2>&1; then
  tail -n 25 "$OUT/solutions.log" >&2
  echo "runall.sh: scripts/solutions.py FAILED on profile $PROFILE; log: $OUT/solutions.log" >&2
  exit 1
fi
if [ "$PUBLISH" = 1 ]; then
  echo "== notebooks/*.ipynb: the executed notebooks, with their outputs"
  "$PY" scripts/publish_notebooks.py "$OUT"
fi
echo "== done in $(( $(date +%s) - start )) s: executed notebooks in $OUT, figures and summary.{md,csv} in $FIG"
