"""Search at scale: 1,883 i-CIR-like BASIC queries against 1M / 5M synthetic CLIP-like items (basic.search).

    python benchmarks/bench_scale.py --sizes 100000            # a quick check (~1 min)
    python benchmarks/bench_scale.py --sizes 1000000 5000000 --data /work/scratch-scale --sweep-nprobe 64 128 192
                                                               # the README table (7.7 GB of disk for the data)

The data are synthetic, seeded and made once (``--data``, default data/bench_scale/): d = 768 vectors built
like CLIP features (a strong common mean, a low-rank semantic part from 2,000 clusters, styles, isotropic
noise), stored float16 in one memory-mapped .npy whose first N rows are the distractors of size N. On top
sit i-CIR-like queries: 202 instances, 1,883 composed queries (1-46 image x 1-5 text queries per instance,
sharing features as in i-CIR), each instance with positives (its object under the asked style) and hard
negatives (other styles, look-alike objects, other objects of the asked style). ``--database global``: every
query ranks all instances' items plus the N distractors.

For each size, in its own process (so peak RSS is per size), it reports:
  build     IVF-PQ training and adding all rows (seconds);
  search    1,883 BASIC queries end to end with the index built: query expansion from the index, top-K
            of each side, exact scores on the candidate set, AP (seconds and queries/s);
  recall    recall@100 against exact search, for R query vectors (BASIC's own image- and text-side
            vectors, also reported per side): the PQ ranking alone, and the index's answer (its top-`refine`
            re-ranked exactly from the stored rows), at the chosen nprobe and at each --sweep-nprobe;
  mmAP      BASIC with the candidate set, with exact top-K candidates, and exhaustive (every row scored
            exactly; the last two only up to --exhaustive-max rows);
  memory    from /proc/self/status: VmHWM (peak RSS, which counts the memory-mapped file pages the process
            touched), the current RssAnon (the process's own memory) / RssFile (mapped pages) after the
            build, after the search and before the exact baselines (which read every row, so they come last),
            the peak of RssAnon (sampled every 50 ms) and the index's bytes.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")     # idle OpenMP threads sleep instead of spinning (shared CPUs)

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from basic.features import Features, atomic_write  # noqa: E402

D, LATENT, CLUSTERS, STYLES = 768, 64, 2000, 60
N_INSTANCES, N_QUERIES = 202, 1883


# ----------------------------------------------------------------------------- synthetic CLIP-like data
class World:
    """The fixed parts every vector is made of (seeded): means, the latent map, clusters and styles."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng([seed, 1])
        unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)
        self.mean_image = unit(rng.standard_normal(D)).astype(np.float32)
        self.mean_text = unit(rng.standard_normal(D)).astype(np.float32)
        self.map = (rng.standard_normal((LATENT, D)) / np.sqrt(D)).astype(np.float32)   # latent -> d, ~unit rows
        self.clusters = unit(rng.standard_normal((CLUSTERS, LATENT))).astype(np.float32)
        self.styles = unit(rng.standard_normal((STYLES, LATENT))).astype(np.float32)

    def images(self, rng, objects, styles, noise=0.6):
        """μ_image + 0.8·object + 0.5·style + noise, objects/styles as latent rows (style row of zeros = none)."""
        latent = 0.8 * objects + 0.5 * styles
        x = self.mean_image + latent @ self.map
        x += rng.standard_normal((len(x), D), dtype=np.float32) * (noise / np.sqrt(D))
        return x.astype(np.float32)

    def texts(self, rng, latent, noise=0.5):
        x = self.mean_text + 0.8 * (latent @ self.map)
        x += rng.standard_normal((len(x), D), dtype=np.float32) * (noise / np.sqrt(D))
        return x.astype(np.float32)

    def random_objects(self, rng, n):
        o = self.clusters[rng.integers(CLUSTERS, size=n)] + 0.1 * rng.standard_normal((n, LATENT), dtype=np.float32)
        return (o / np.linalg.norm(o, axis=1, keepdims=True)).astype(np.float32)

    def random_styles(self, rng, n, p_none=0.3):
        s = self.styles[rng.integers(STYLES, size=n)].copy()
        s[rng.random(n) < p_none] = 0
        return s


def distractors_file(data: Path, n: int, seed: int = 0, chunk: int = 100_000) -> Path:
    """data/distractors_<n>.npy, float16 (n, 768), made once in chunks (resumes by remaking the file), or a
    larger one already made (callers take its first n rows)."""
    path = data / f"distractors_{n}.npy"
    if path.is_file():
        return path
    # the first n rows of a larger file are the same rows (each chunk is seeded by its offset): reuse it
    larger = sorted((int(p.stem.split("_")[1]), p) for p in data.glob("distractors_*.npy")
                    if p.stem.split("_")[1].isdigit() and int(p.stem.split("_")[1]) > n)
    if larger:
        return larger[0][1]
    data.mkdir(parents=True, exist_ok=True)
    world = World(seed)
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(n, D))
    t = time.perf_counter()
    for a in range(0, n, chunk):
        rng = np.random.default_rng([seed, 2, a])
        b = min(a + chunk, n)
        out[a:b] = world.images(rng, world.random_objects(rng, b - a), world.random_styles(rng, b - a))
    out.flush()
    del out
    os.replace(tmp, path)
    print(f"made {path} ({n:,} x {D} float16, {path.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - t:.0f} s",
          flush=True)
    return path


def benchmark_features(seed: int = 0) -> Features:
    """i-CIR-like queries and per-instance databases (positives and hard negatives) with BASIC's assets."""
    world = World(seed)
    rng = np.random.default_rng([seed, 3])
    n_txt = rng.integers(1, 6, N_INSTANCES)
    n_img = np.clip(rng.geometric(0.2, N_INSTANCES), 1, 46)
    per = n_img * n_txt
    per = np.maximum(1, np.round(per * N_QUERIES / per.sum()).astype(int))
    per[np.argmax(per)] += N_QUERIES - per.sum()
    objects = world.random_objects(rng, N_INSTANCES)
    twins = objects + 0.12 * rng.standard_normal(objects.shape, dtype=np.float32)
    twins /= np.linalg.norm(twins, axis=1, keepdims=True)
    q_img, q_txt, q_rows, d_img, d_rows = [], [], [], [], []
    for i in range(N_INSTANCES):
        styles = rng.choice(STYLES, size=n_txt[i], replace=False)
        texts = world.texts(rng, world.styles[styles])
        images = world.images(rng, np.repeat(objects[i:i + 1], n_img[i], 0), np.zeros((n_img[i], LATENT), np.float32))
        for k in range(per[i]):
            t, im = k % n_txt[i], (k // n_txt[i]) % n_img[i]
            q_img.append(images[im])
            q_txt.append(texts[t])
            q_rows.append((f"inst{i:03d}", f"style{styles[t]}", f"q/{i}/{im}"))
        # positives: the object under each asked style; hard negatives: other styles, the twin, other objects
        parts = []
        for t, s in enumerate(styles):
            n_pos = int(rng.integers(2, 7))
            parts.append((np.repeat(objects[i:i + 1], n_pos, 0), np.repeat(world.styles[s:s + 1], n_pos, 0), f"style{s}"))
            parts.append((np.repeat(twins[i:i + 1], 3, 0), np.repeat(world.styles[s:s + 1], 3, 0), "-"))
            parts.append((world.random_objects(rng, 4), np.repeat(world.styles[s:s + 1], 4, 0), "-"))
        others = rng.choice([s for s in range(STYLES) if s not in styles], size=10)
        parts.append((np.repeat(objects[i:i + 1], 10, 0), world.styles[others], "-"))
        for o, s, label in parts:
            d_img.append(world.images(rng, o, s))
            d_rows += [(f"inst{i:03d}", label, "")] * len(o)
    n_corpus = 2000
    syn_obj, syn_sty = world.random_objects(rng, 1000), world.random_styles(rng, 1000)
    return Features(
        query_image=np.stack(q_img), query_text=np.stack(q_txt), query_text_context=np.stack(q_txt),
        db_image=np.concatenate(d_img),
        queries=pd.DataFrame(q_rows, columns=["instance", "text", "path"]),
        database=pd.DataFrame(d_rows, columns=["instance", "text", "path"]),
        corpus_pos=world.texts(rng, world.random_objects(rng, n_corpus)),
        corpus_neg=world.texts(rng, world.styles[rng.integers(STYLES, size=500)]),
        image_mean=world.mean_image * 1.0,
        synthetic_image=world.images(rng, syn_obj, syn_sty), synthetic_text=world.texts(rng, 0.8 * syn_obj + 0.5 * syn_sty))


# ----------------------------------------------------------------------------- one size
def memory_gb() -> dict:
    """From /proc/self/status: peak RSS (VmHWM: anonymous memory plus the memory-mapped file pages this
    process touched), and the current RSS split into anonymous and file-backed (mapped) pages, in GB."""
    out = {}
    try:
        for line in open("/proc/self/status"):
            key = line.split(":")[0]
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(line.split()[1]) * 1024 / 1e9
    except OSError:
        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9   # KiB on Linux
    return out


class PeakAnon:
    """The peak of RssAnon (this process's private memory, without mapped file pages), sampled every 50 ms
    by a daemon thread: VmHWM alone mixes it with the pages of the memory-mapped rows."""

    def __init__(self):
        import threading
        self.peak = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            self.peak = max(self.peak, memory_gb().get("RssAnon", 0.0))
            time.sleep(0.05)


def run_size(args) -> dict:
    import faiss
    from basic import search
    from basic.config import preset

    faiss.omp_set_num_threads(args.threads)
    data = Path(args.data)
    path = distractors_file(data, args.max_size)
    distractors = np.load(path, mmap_mode="r")[:args.size]
    features = benchmark_features()
    config = preset("basic")
    opts = search.SearchOptions(database="global", index="ivfpq", candidates=args.candidates, nlist=args.nlist,
                                m=args.m, nbits=args.nbits, nprobe=args.nprobe, refine=args.refine,
                                train_size=args.train_size)
    out = {"size": args.size, "rows": args.size + len(features.db_image), "queries": len(features.queries),
           "nlist": args.nlist, "m": args.m or search.default_m(D), "nbits": args.nbits, "nprobe": args.nprobe, "refine": args.refine,
           "candidates": args.candidates, "threads": args.threads, "load": os.getloadavg()[0],
           "mem_start": memory_gb()}
    anon = PeakAnon()
    problem = search.make_problem(features, opts, distractors)
    t = time.perf_counter()
    index = search.build_index(problem.rows, 0, opts)
    out["build_s"] = time.perf_counter() - t
    out["mem_after_build"] = memory_gb()
    out["peak_anon_build_gb"] = anon.peak
    print(f"[{args.size:,}] index built in {out['build_s']:.0f} s; memory {out['mem_after_build']}, "
          f"peak private {anon.peak:.2f} GB", flush=True)

    t = time.perf_counter()
    res = search.evaluate_search(features, config, opts, index=index, problem=problem)
    out["search_s"] = time.perf_counter() - t
    out["qps"] = len(features.queries) / out["search_s"]
    out["mmAP_candidates"] = res.mmAP
    out["mem_after_search"] = memory_gb()
    out["peak_anon_search_gb"] = anon.peak
    out["end_to_end_s"] = out["build_s"] + out["search_s"]
    print(f"[{args.size:,}] 1,883 BASIC queries in {out['search_s']:.1f} s, mmAP {100 * res.mmAP:.2f}; end to end "
          f"{out['end_to_end_s']:.0f} s; memory {out['mem_after_search']}", flush=True)

    # recall@100 against exact search, on BASIC's own side vectors (a seeded subset)
    qv = search.query_vectors(features, config, problem, index, opts)
    vecs = np.concatenate([qv.image, qv.text])
    n_image = len(qv.image)
    pick = np.sort(np.random.default_rng(0).choice(len(vecs), size=min(args.recall_queries, len(vecs)), replace=False))
    vecs = np.ascontiguousarray(vecs[pick])
    is_image = pick < n_image
    t = time.perf_counter()
    exact_ids, _ = search.ExactIndex(problem.rows, 0, opts).search(vecs, 100)
    out["exact_topk_s_per_query"] = (time.perf_counter() - t) / len(vecs)

    def recall(got):
        r = np.array([len(np.intersect1d(e, g)) / 100 for e, g in zip(exact_ids, got)])
        return float(r.mean()), float(r[is_image].mean()), float(r[~is_image].mean())

    out["recall"] = []
    for nprobe in sorted(set(args.sweep_nprobe + [args.nprobe])):
        if nprobe > args.nlist:
            continue
        index.index.nprobe = nprobe
        t = time.perf_counter()
        raw_ids = index.index.search(vecs, 100)[1]                  # PQ ranking alone (no refine stage)
        refined_ids, _ = index.search(vecs, 100)                    # + exact re-ranking of its top-`refine`
        ms = 1000 * (time.perf_counter() - t) / len(vecs)
        row = {"nprobe": nprobe, "raw": recall(raw_ids), "refined": recall(refined_ids), "ms_per_vector": ms}
        out["recall"].append(row)
        print(f"[{args.size:,}] nprobe {nprobe}: recall@100 vs exact (all / image side / text side): "
              f"PQ alone {row['raw'][0]:.3f} / {row['raw'][1]:.3f} / {row['raw'][2]:.3f}, "
              f"refined top-{args.refine} {row['refined'][0]:.3f} / {row['refined'][1]:.3f} / {row['refined'][2]:.3f}"
              f" ({ms:.1f} ms per vector, both searches)", flush=True)
    index.index.nprobe = args.nprobe
    main_row = next(r for r in out["recall"] if r["nprobe"] == args.nprobe)
    out["recall100_ivfpq"], out["recall100_refined"] = main_row["raw"][0], main_row["refined"][0]
    out["recall_vectors"] = [int(is_image.sum()), int((~is_image).sum())]
    out["mem_peak_before_baselines"] = memory_gb()
    out["peak_anon_before_baselines_gb"] = anon.peak

    if args.size + len(features.db_image) <= args.exhaustive_max:
        t = time.perf_counter()
        full = search.evaluate_search(features, config, search.SearchOptions(database="global", candidates=None),
                                      problem=problem)
        out["exhaustive_s"] = time.perf_counter() - t
        out["mmAP_exhaustive"] = full.mmAP
        out["ap_abs_diff_max"] = float(np.abs(full.ap - res.ap).max())
        print(f"[{args.size:,}] exhaustive BASIC in {out['exhaustive_s']:.0f} s, mmAP {100 * full.mmAP:.2f}", flush=True)
        t = time.perf_counter()       # the candidate set alone: exact top-K instead of IVF-PQ's
        exact_k = search.evaluate_search(features, config, search.SearchOptions(
            database="global", index="exact", candidates=args.candidates), problem=problem)
        out["exact_candidates_s"] = time.perf_counter() - t
        out["mmAP_exact_candidates"] = exact_k.mmAP
        print(f"[{args.size:,}] exact top-{args.candidates} candidates in {out['exact_candidates_s']:.0f} s, "
              f"mmAP {100 * exact_k.mmAP:.2f}", flush=True)
    out["mem_end"] = memory_gb()
    out["peak_anon_end_gb"] = anon.peak
    out["index_gb"] = faiss.serialize_index(index.index).nbytes / 1e9    # last: serialising copies the index
    return out


# ----------------------------------------------------------------------------- driver
def table(rows: list[dict]) -> str:
    lines = ["| items | build s | 1,883 BASIC queries s | end to end s | recall@100: IVF-PQ alone / refined | "
             "BASIC mmAP: IVF-PQ top-K / exact top-K / exhaustive | peak RSS GB (mapped file pages) | peak private GB | index GB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ex = (f"{100 * r['mmAP_exact_candidates']:.2f} / {100 * r['mmAP_exhaustive']:.2f}"
              if "mmAP_exhaustive" in r else "— / —")
        m = r["mem_peak_before_baselines"]
        lines.append(f"| {r['rows']:,} | {r['build_s']:.0f} | {r['search_s']:.1f} | {r['end_to_end_s']:.0f} | "
                     f"{r['recall100_ivfpq']:.3f} / {r['recall100_refined']:.3f} | "
                     f"{100 * r['mmAP_candidates']:.2f} / {ex} | {m['VmHWM']:.1f} ({m.get('RssFile', float('nan')):.1f}) | "
                     f"{r.get('peak_anon_before_baselines_gb', float('nan')):.2f} | {r['index_gb']:.2f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)            # one size, in this process
    ap.add_argument("--data", default=str(REPO / "data" / "bench_scale"))
    from basic.search import SearchOptions
    d = SearchOptions()
    for name in ("nlist", "m", "nbits", "nprobe", "refine", "candidates"):
        ap.add_argument(f"--{name}", type=int, default=getattr(d, name), help=f"default {getattr(d, name)} (basic.search)")
    ap.add_argument("--sweep-nprobe", type=int, nargs="*", default=[16, 64, 128, 256],
                    help="also measure recall@100 at these nprobe (same index)")
    ap.add_argument("--train-size", type=int, default=None)
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--exhaustive-max", type=int, default=1_100_000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="append each size's row to this JSON-lines file")
    ap.add_argument("--max-size", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.size is not None:
        print("RESULT " + json.dumps(run_size(args)), flush=True)
        return
    max_size = max(args.sizes)
    distractors_file(Path(args.data), max_size)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load {os.getloadavg()}")
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--size", str(size), "--max-size", str(max_size)]
        for k in ("data", "nlist", "m", "nbits", "nprobe", "refine", "candidates", "train_size", "recall_queries",
                  "exhaustive_max", "threads"):
            if getattr(args, k) is not None:
                cmd += [f"--{k.replace('_', '-')}", str(getattr(args, k))]
        cmd += ["--sweep-nprobe"] + [str(x) for x in args.sweep_nprobe]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        result = next((json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")), None)
        print("\n".join(line for line in proc.stdout.splitlines() if not line.startswith("RESULT ")))
        if result is None:
            sys.exit(f"size {size} failed (exit {proc.returncode})")
        rows.append(result)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(result) + "\n")
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
