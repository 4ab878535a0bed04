#!/usr/bin/env bash
# GPU extraction check, one command: images/s end to end, loader alone and model alone for ViT-L/14 and
# SigLIP ViT-L-16-256 with extraction's default settings (fp16 weights, JPEG draft decoding, one torch thread
# per worker, workers from the cores), the old loader (full decode) beside them, and the fidelity of the
# defaults (cosine to fp32 + full decode on real photographs). Random weights: nothing is downloaded.
#
#   benchmarks/gpu_check.sh                 # ~5 min on one H100/H200 with 16 cores
#   IMAGES=2048 benchmarks/gpu_check.sh     # quicker
#
# Needs torch with CUDA, and open_clip_torch, timm, ftfy, wcwidth, pandas, pillow, tqdm. Missing ones are
# installed from $BASIC_WHEELS (default: wheels/ or shared/wheels/ in the repository) without an index; make
# that folder on a machine with internet:  pip download -d wheels open_clip_torch timm ftfy wcwidth
# Results: printed, and JSON per run in $OUT (default /tmp/basic_gpu_check).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
N=${IMAGES:-4096}
BATCH=${BATCH:-256}
RESULTS=${OUT:-/tmp/basic_gpu_check}
IMGDIR=${BASIC_BENCH_IMAGES:-/tmp/basic_bench_images}
mkdir -p "$RESULTS"

missing=$($PY - <<'EOF'
import importlib.util
need = {"open_clip": "open_clip_torch", "timm": "timm", "ftfy": "ftfy", "wcwidth": "wcwidth", "pandas": "pandas",
        "PIL": "pillow", "tqdm": "tqdm", "regex": "regex"}
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
EOF
)
if [ -n "$missing" ]; then
  WHEELS=${BASIC_WHEELS:-$( [ -d wheels ] && echo wheels || echo shared/wheels )}
  echo "installing $missing from $WHEELS (no index)"
  $PY -m pip install -q --no-index --find-links "$WHEELS" $missing
fi
$PY -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('GPU:', torch.cuda.get_device_name(0), '| torch', torch.__version__, '| cores', len(__import__('os').sched_getaffinity(0)))"

bench() {  # name, then extract_throughput.py options
  local name=$1; shift
  $PY benchmarks/extract_throughput.py --device cuda --batch-size "$BATCH" --images "$N" \
      --json "$RESULTS/$name.json" "$@" 2>&1 | grep -v "No pretrained weights" || true
}
for model in ViT-L-14 ViT-L-16-SigLIP-256; do
  bench "$model-512-defaults"  --model "$model" --size 512  --image-dir "$IMGDIR/512"
  bench "$model-1024-defaults" --model "$model" --size 1024 --image-dir "$IMGDIR/1024"
  bench "$model-512-draft-gap1" --model "$model" --size 512 --image-dir "$IMGDIR/512" --draft-gap 1
  bench "$model-512-full-decode" --model "$model" --size 512 --image-dir "$IMGDIR/512" --decode full
done

echo
echo "summary (images/s; defaults = fp16 weights, JPEG draft >= 2x input, 1 thread/worker, workers from cores)"
$PY - "$RESULTS" <<'EOF'
import json, sys
from pathlib import Path
rows = sorted(Path(sys.argv[1]).glob("*.json"))
print(f"{'run':<36} {'device':<28} {'workers':>7} {'end to end':>10} {'loader':>8} {'model':>8}  bottleneck")
for path in rows:
    r = json.loads(path.read_text())
    if "images_per_s" not in r:
        continue
    rate = r["images_per_s"]
    print(f"{path.stem:<36} {r['device'][:28]:<28} {r['workers']:>7} {rate['end_to_end']:>10.0f} "
          f"{rate['decode_only']:>8.0f} {rate['model_only']:>8.0f}  {r['bottleneck']}")
EOF

echo
echo "fidelity of the defaults on this GPU (cosine to fp32 + full decode, real photographs)"
$PY benchmarks/gpu_fidelity.py --device cuda || echo "fidelity check: see above (scikit-image or --photos needed)"
