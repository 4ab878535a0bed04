"""Speed and memory of BASIC on i-CIR-sized features (made seeded), in one process or as whole processes.

    python benchmarks/bench_basic.py                 # in-process: full i-CIR size, 202 instances, 750K items
    python benchmarks/bench_basic.py --scale 0.05    # a quick look
    python benchmarks/bench_basic.py --whole-process --dir /tmp/basic-bench   # `python -m basic evaluate` timed

Runs single-threaded (BLAS threads pinned to 1 before numpy loads; the subprocesses inherit it).

In-process: wall time and peak memory (tracemalloc, numpy's allocations included) for each method, the
whole ablation table, and a 21-point lambda sweep that reuses the similarities. Peak memory is reported
relative to the bytes of the features.

Whole-process: writes the features folder once into --dir (format 2; kept for the next run), reads it
once to warm the page cache, then times `python -m basic evaluate DIR --preset P` as a subprocess, --runs
times per preset, interleaved, and reports medians of: start-up (process start to features.load, imports
included), load, scoring, the rest (report and exit) and the whole wall time, with peak RSS (the child's
maxrss, mapped pages included) against the features' bytes. --compare-old also writes the old .npz
layout (DIR-npz) and times it the same way.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))     # the checkout this file belongs to

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
        d_rows += [(f"inst{i:03d}", t, f"database/inst{i:03d}/{j:05d}.jpg") for j, t in enumerate(labels)]
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


def _write_old_format(features: Features, folder: Path) -> None:
    """The format-1 layout (features.npz + CSVs), as folders written before format 2 look."""
    from basic.features import ARRAY_FIELDS, atomic_write
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {n: getattr(features, n) for n in ARRAY_FIELDS if getattr(features, n) is not None}
    atomic_write(folder / "features.npz", lambda f: np.savez(f, **arrays), binary=True)
    atomic_write(folder / "queries.csv", lambda f: features.queries.to_csv(f, index=False))
    atomic_write(folder / "database.csv", lambda f: features.database.to_csv(f, index=False))


def _warm(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass


def _one_run(folder: Path, preset_name: str) -> dict:
    """One `python -m basic evaluate` subprocess: its phases (from --timings), wall time and peak RSS."""
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "basic", "evaluate", str(folder), "--preset", preset_name, "--timings"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t_epoch, t0 = time.time(), time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)             # wait4: this child's own peak RSS
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr}")
    t = json.loads([l for l in stderr.splitlines() if l.startswith("timings ")][-1][len("timings "):])
    startup = (t["epoch_at_start"] - t_epoch) + t["imports"]
    mmap_score = [l for l in stdout.splitlines() if l.startswith("mmAP")][0].split()[-1]
    return {"wall": wall, "startup": startup, "load": t["load"], "scoring": t["scoring"],
            "rest": wall - startup - t["load"] - t["scoring"],
            "rss": t.get("peak_rss_bytes") or usage.ru_maxrss * 1024,   # VmHWM; maxrss can carry the parent's
            "mmAP": mmap_score}


def whole_process(args) -> None:
    folder = Path(args.dir)
    from basic.features import is_features_folder
    stamp = {"bench": "make_icir_like", "scale": args.scale, "dim": args.dim, "seed": 0}
    meta = folder / "meta.json"
    fresh = not (is_features_folder(folder) and json.loads(meta.read_text()).get("bench") == stamp)
    old = folder.parent / (folder.name + "-npz")
    if fresh or (args.compare_old and not (old / "features.npz").is_file()):
        t = time.perf_counter()
        features = make_icir_like(args.scale, args.dim)
        features.meta = {"bench": stamp}
        features.save(folder)
        if args.compare_old:
            _write_old_format(features, old)
        del features
        print(f"wrote {folder}{' and ' + str(old) if args.compare_old else ''} in {time.perf_counter() - t:.0f} s")
    fbytes = Features.load(folder).nbytes()
    folders = [("format 2", folder)] + ([("old .npz", old)] if args.compare_old else [])
    for _, f in folders:
        _warm(f)
    if args.compare_old:                                     # the converter, timed once (warm page cache)
        import shutil
        from basic.features import convert
        target = folder.parent / (folder.name + "-converted")
        t = time.perf_counter()
        convert(old, target, overwrite=True)
        print(f"convert (old .npz -> format 2, reloaded and checked; in this process): {time.perf_counter() - t:.1f} s")
        shutil.rmtree(target)
    bare = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    results = {}
    for name, f in folders:
        for p in args.presets:
            _one_run(f, p)                                   # untimed: warms the page cache and the imports
    for _ in range(args.runs):                               # interleaved, so drifting load hits all alike
        for name, f in folders:
            for p in args.presets:
                results.setdefault((name, p), []).append(_one_run(f, p))
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    print(f"\nfeatures: {fbytes / 1e9:.2f} GB of arrays; {args.runs} runs each, medians; "
          f"bare `python -c pass`: {statistics.median(bare):.3f} s")
    print(f"{'folder':<10} {'preset':<9} {'wall s':>7} {'start-up':>9} {'load':>7} {'scoring':>8} {'rest':>6} "
          f"{'peak RSS GB':>12} {'RSS / features':>15} {'mmAP':>7}")
    for (name, p), rows in results.items():
        rss = max(r["rss"] for r in rows)
        print(f"{name:<10} {p:<9} {med(rows, 'wall'):7.2f} {med(rows, 'startup'):9.2f} {med(rows, 'load'):7.2f} "
              f"{med(rows, 'scoring'):8.2f} {med(rows, 'rest'):6.2f} {rss / 1e9:12.2f} {rss / fbytes:14.2f}x "
              f"{rows[0]['mmAP']:>7}")
    print("\nstart-up: process start to the features load (interpreter, imports); rest: report and exit")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of i-CIR's size (default 1.0)")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--whole-process", action="store_true", help="time `python -m basic evaluate` subprocesses")
    ap.add_argument("--dir", default="/tmp/basic-bench-icir", help="whole-process: the features folder (kept)")
    ap.add_argument("--presets", nargs="+", default=["image", "product", "basic"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compare-old", action="store_true", help="whole-process: also time the old .npz layout")
    args = ap.parse_args()
    if args.whole_process:
        return whole_process(args)

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
