#!/usr/bin/env bash
# The main job: run every companion notebook in order and regenerate figures/ and the results summary.
#
#   ./runall.sh [DATASET] [OUTDIR]
#     DATASET  a registered dataset (basic.datasets; `python -m basic datasets` lists them): tiny (default: the
#              offline tiny world, built on first use), icir (real i-CIR features, see README.md "Running on the
#              real i-CIR"), golden (the small golden case, for development), or one registered by a module named
#              in $BASIC_PLUGINS. It becomes the notebooks' `profile` parameter.
#     OUTDIR   where the executed notebooks and their logs go (default out/DATASET/, git-ignored)
#
# Figures: the dataset says where (figures/ for tiny, the published ones; figures/icir/ for icir; OUTDIR/figures
# for golden and for datasets without a figures folder of their own); results summary in FIGURES/summary.md and
# FIGURES/summary.csv, the exercises' answers in FIGURES/solutions.md ($BASIC_FIGURES_DIR overrides FIGURES).
# Only this script writes into figures/: a notebook run any other way writes to out/scratch/.
# Datasets that publish (tiny): the executed notebooks, cleaned, are also written back into notebooks/*.ipynb
# (scripts/publish_notebooks.py), so the committed notebooks carry the outputs; BASIC_PUBLISH=0 skips that.
# Stops at the first failing notebook and names it.
# Environment: .venv is created when missing (scripts/ensure_env.sh); BASIC_PYTHON=/path/to/python uses
# an existing environment instead. Data: $BASIC_DATA_DIR (tiny world, default data/tiny) and
# $BASIC_ICIR_FEATURES (icir features folder, default features/clip) reach the notebooks through the
# environment (basic.datasets); BASIC_BACKBONE=NAME becomes the notebooks' backbone parameter.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PROFILE="${1:-tiny}"
OUT="${2:-out/$PROFILE}"
PY="${BASIC_PYTHON:-$(scripts/ensure_env.sh)}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# the dataset registry says where its figures go and whether its notebooks are published
if ! where=$("$PY" -m basic datasets "$PROFILE" --shell "$OUT"); then
  echo "usage: ./runall.sh [DATASET] [OUTDIR]   (\`$PY -m basic datasets\` lists the registered datasets)" >&2
  exit 2
fi
eval "$where"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -z "${BASIC_FIGURES_DIR:-}" ] && [ "${BASIC_PUBLISH:-1}" != 0 ] || PUBLISH=0
FIG="${BASIC_FIGURES_DIR:-$FIG}"
mkdir -p "$FIG/results"
# the notebooks: the dataset's own set (all of them; at the semantic level only notebook 13), or BASIC_NOTEBOOKS
SUBSET=0
[ -n "${BASIC_NOTEBOOKS:-}" ] || [ "$EVERY_NOTEBOOK" = 0 ] && SUBSET=1
PATTERN="${BASIC_NOTEBOOKS:-$NOTEBOOKS}"
[ "$SUBSET" = 1 ] || rm -f "$FIG"/results/*.csv     # a full run starts the records afresh

start=$(date +%s)
extra=()
[ -n "${BASIC_BACKBONE:-}" ] && extra+=(-p backbone "$BASIC_BACKBONE")

echo "== the $PROFILE features (a dataset that builds its own, like the tiny world, builds them once)"
"$PY" -m basic datasets "$PROFILE" --prepare

notebooks=(notebooks/$PATTERN.ipynb)   # BASIC_NOTEBOOKS='0[4-6]_*' reruns a few
[ -e "${notebooks[0]}" ] || { echo "runall.sh: no notebook matches notebooks/$PATTERN.ipynb" >&2; exit 2; }
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
if [ "$SUBSET" = 1 ]; then   # a subset: no exercises' answers, nothing written back into notebooks/
  echo "== done in $(( $(date +%s) - start )) s (notebooks $PATTERN): executed notebooks in $OUT, figures in $FIG"
  exit 0
fi
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
