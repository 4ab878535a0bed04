"""Speed and memory of the BASIC core on i-CIR-sized features (made on the fly, seeded).

    python benchmarks/bench_basic.py                 # full i-CIR size: 202 instances, 1,883 queries, 750K items
    python benchmarks/bench_basic.py --scale 0.05    # a quick look

Runs single-threaded (BLAS threads pinned to 1 before numpy loads). Prints wall time and peak memory
(tracemalloc, numpy's allocations included) for each method, the whole ablation table, and a 21-point
lambda sweep that reuses the similarities. Peak memory is reported relative to the bytes of the features.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from basic.config import ABLATION_ROWS, components, preset
from basic.features import Features
from basic.retrieval import evaluate, sweep


def make_icir_like(scale=1.0, d=768, seed=0, corpus_pos=5000, corpus_neg=1000, synthetic=1000) -> Features:
    """Random features shaped like i-CIR: 1-46 image x 1-5 text queries per instance, ~3.7K items each.

    As in i-CIR, the text queries of an instance share its image queries: every composed query of the
    same image has the same image feature, and of the same text the same text feature.
    """
    rng = np.random.default_rng(seed)
    n_inst = max(2, round(202 * scale))
    target_q, target_db = round(1883 * scale), round(750_000 * scale)
    n_txt = rng.integers(1, 6, n_inst)
    n_img = np.clip(rng.geometric(0.2, n_inst), 1, 46)
    per_inst = n_img * n_txt
    per_inst = np.maximum(1, np.round(per_inst * target_q / per_inst.sum()).astype(int))
    per_inst[-1] = max(1, per_inst[-1] + target_q - per_inst.sum())     # exact total
    sizes = rng.integers(2000, 5400, n_inst)
    sizes = np.maximum(50, (sizes * target_db / sizes.sum()).astype(int))
    sizes[-1] += target_db - sizes.sum()
    q_rows, d_rows = [], []
    for i in range(n_inst):
        texts = [f"t{i}_{j}" for j in range(n_txt[i])]
        q_rows += [(f"inst{i:03d}", texts[k % len(texts)], f"q/{i}/{k // len(texts)}.jpg")
                   for k in range(per_inst[i])]
        labels = rng.choice(texts + ["none"], size=sizes[i], p=[0.02] * len(texts) + [1 - 0.02 * len(texts)])
        d_rows += [(f"inst{i:03d}", t, "") for t in labels]
    queries = pd.DataFrame(q_rows, columns=["instance", "text", "path"])
    database = pd.DataFrame(d_rows, columns=["instance", "text", "path"])

    def normal(n):
        return rng.standard_normal((n, d), dtype=np.float32)

    def shared_by(labels):      # as in i-CIR: one feature per distinct image (or text) of the queries
        codes, uniques = pd.factorize(labels)
        return normal(len(uniques))[codes]

    image_key = queries.instance + "/" + queries.path
    text_key = queries.instance + "/" + queries.text
    return Features(query_image=shared_by(image_key), query_text=shared_by(text_key),
                    query_text_context=shared_by(text_key), db_image=normal(len(database)),
                    queries=queries, database=database, corpus_pos=normal(corpus_pos), corpus_neg=normal(corpus_neg),
                    image_mean=rng.standard_normal(d, dtype=np.float32) * 0.1,
                    synthetic_image=normal(synthetic), synthetic_text=normal(synthetic))


def measure(fn):
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t, tracemalloc.get_traced_memory()[1] - base


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of i-CIR's size (default 1.0)")
    ap.add_argument("--dim", type=int, default=768)
    args = ap.parse_args()

    t = time.perf_counter()
    features = make_icir_like(args.scale, args.dim)
    fbytes = features.nbytes()
    print(f"features: {len(features.queries)} queries, {len(features.db_image)} database items, "
          f"{features.queries.instance.nunique()} instances, d={features.dim}, {fbytes / 1e9:.2f} GB "
          f"(made in {time.perf_counter() - t:.1f} s)")
    tracemalloc.start()
    rows = []
    for name in ("image", "text", "sum", "product", "basic"):
        res, sec, peak = measure(lambda: evaluate(features, name))
        rows.append((name, sec, peak, res.mmAP))
    total, worst = 0.0, 0
    for letters in ABLATION_ROWS:
        res, sec, peak = measure(lambda: evaluate(features, components(letters)))
        total, worst = total + sec, max(worst, peak)
    rows.append((f"ablation table ({len(ABLATION_ROWS)} rows)", total, worst, float("nan")))
    lams = np.linspace(0, 0.5, 21)
    table, sec, peak = measure(lambda: sweep(features, preset("basic"), "harris_lambda", lams))
    rows.append(("lambda sweep (21 values)", sec, peak, table.mmAP.max()))
    tracemalloc.stop()
    print(f"\n{'run':<28} {'wall s':>8} {'extra peak GB':>14} {'peak / features':>16}")
    for name, sec, peak, _ in rows:
        print(f"{name:<28} {sec:8.2f} {peak / 1e9:14.3f} {(fbytes + peak) / fbytes:15.2f}x")
    print("\npeak / features = (features bytes + extra peak during the run) / features bytes")


if __name__ == "__main__":
    main()
