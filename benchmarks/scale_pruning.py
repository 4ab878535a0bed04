"""How well IVF prunes on bench_scale's synthetic data: recall@100 against exact search at several nprobe.

    python benchmarks/scale_pruning.py --data /work/scratch-scale --size 1000000

Builds ``--index ivfpq`` with its defaults (basic.search.SearchOptions) over the first --size distractors of
bench_scale.py plus the benchmark rows, then measures the refined recall@100 of 100 vectors of each kind:
BASIC's image-side and text-side query vectors, the raw query images (as they are, and centred) and database
rows themselves. docs/scale.md ("The synthetic data") quotes its output.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_scale as b  # noqa: E402
from basic import search  # noqa: E402
from basic.config import preset  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(b.REPO / "data" / "bench_scale"))
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--nprobe", type=int, nargs="+", default=[8, 32, 64, 128, 256])
    args = ap.parse_args()
    import faiss
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    path = b.distractors_file(Path(args.data), args.size)
    dis = np.load(path, mmap_mode="r")[:args.size]
    f = b.benchmark_features()
    opts = search.SearchOptions(database="global", index="ivfpq")
    prob = search.make_problem(f, opts, dis)
    index = search.build_index(prob.rows, 0, opts)
    exact = search.ExactIndex(prob.rows, 0, opts)
    qv = search.query_vectors(f, preset("basic"), prob, index, opts)
    rng = np.random.default_rng(0)
    pick = lambda x: x[rng.choice(len(x), 100, replace=False)]
    kinds = {
        "BASIC image side (C,P,Q)": pick(qv.image),
        "BASIC text side (C,X)": pick(qv.text),
        "raw query images": pick(f.query_image),
        "raw query images, centred": pick(f.query_image) - f.image_mean,
        "database rows": prob.rows.gather(rng.choice(prob.rows.n, 100, replace=False)),
    }
    for name, v in kinds.items():
        v = np.ascontiguousarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float32)
        truth, _ = exact.search(v, 100)
        got = []
        for nprobe in args.nprobe:
            index.index.nprobe = min(nprobe, opts.nlist)
            ids, _ = index.search(v, 100)
            got.append(f"{nprobe}: {np.mean([len(np.intersect1d(e, g)) / 100 for e, g in zip(truth, ids)]):.3f}")
        print(f"{name:28s} refined recall@100 at nprobe " + ", ".join(got), flush=True)


if __name__ == "__main__":
    main()
