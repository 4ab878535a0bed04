"""Random distractors for the tiny world: instances that are not in the benchmark, under random conditions.

    python -m basic.tinyworld distractors --count 20000      # render + extract once, cached, resumable

Distractor k is a pure function of k: an instance drawn from worlds made with derived seeds (their names
and looks checked disjoint from the benchmark's instances) under a random condition (or none), rendered
with the benchmark's renderer and encoded with the tiny backbone (basic.extract), exactly like the
benchmark's images. Nothing is a hard negative of a benchmark query: no distractor shows a benchmark
instance. Features are written in shards of SHARD rows (float16 .npy, atomically) under
``DATA/distractors/<backbone key>/``; a rerun skips finished shards, and a larger --count extends the
same sequence (the first N distractors never change). ``--count N`` also writes a features folder
``DATA/distractors/<backbone key>/n<N>/`` (db_image only, no queries) for ``python -m basic evaluate
--distractors``.
"""
from __future__ import annotations

import argparse
import functools
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..features import Features
from ..fileio import atomic_write
from . import world
from .render import render

SHARD = 4096
SEED_TAG = 7_919_000          # derived world seeds: SEED_TAG + 1, + 2, ... (the benchmark uses the world seed)
N_WORLDS = 16


def _look(inst) -> tuple:
    return tuple(v for k, v in sorted(vars(inst).items()) if k not in ("id", "name", "twin"))


@functools.lru_cache(maxsize=4)
def pool(n_worlds: int = N_WORLDS) -> tuple:
    """Instances of derived worlds whose names and looks differ from every benchmark instance's."""
    bench = world.make_instances(getattr(world, "WORLD_SEED", 2025))
    names, looks = {i.name for i in bench}, {_look(i) for i in bench}
    out, seen = [], set()
    for j in range(1, n_worlds + 1):
        for inst in world.make_instances(SEED_TAG + j):
            if inst.name in names or inst.name in seen or _look(inst) in looks:
                continue
            seen.add(inst.name)
            out.append(inst)
    return tuple(out)


def plan(start: int, stop: int, instances) -> list[tuple[int, int, str]]:
    """(k, instance index, condition key) of distractors start..stop-1."""
    keys = ["neutral"] + [c.key for c in world.CONDITIONS]
    rows = []
    for k in range(start, stop):
        rng = np.random.default_rng([SEED_TAG, k])
        rows.append((k, int(rng.integers(len(instances))), str(keys[int(rng.integers(len(keys)))])))
    return rows


def _render_rows(args) -> np.ndarray:
    rows, size = args
    instances = pool()
    return np.stack([np.asarray(render(instances[i], cond, np.random.default_rng([SEED_TAG, k, 1]), size), np.uint8)
                     for k, i, cond in rows])


def shard_file(folder: Path, s: int) -> Path:
    return folder / f"shard_{s:05d}.npy"


def extract_shard(backbone, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    import torch
    from PIL import Image
    out = []
    with torch.no_grad():
        for a in range(0, len(images), batch_size):
            x = torch.stack([backbone.preprocess(Image.fromarray(im)) for im in images[a:a + batch_size]])
            with backbone.autocast():
                out.append(backbone.model.encode_image(x.to(backbone.device)).float().cpu().numpy())
    return np.concatenate(out)


def make(count: int, data=None, size: int = 64, workers: int = 2, progress: bool = True) -> Path:
    """Render and extract the first ``count`` distractors (cached shards); return their features folder."""
    import torch
    from ..extract import load_backbone
    from .data import data_dir

    if count < 1:
        raise SystemExit(f"--count must be >= 1, got {count}")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    backbone = load_backbone("tiny", device="cpu")
    folder = data_dir(data) / "distractors" / backbone.key
    folder.mkdir(parents=True, exist_ok=True)
    instances = pool()
    n_shards = (count + SHARD - 1) // SHARD
    todo = [s for s in range(n_shards) if not shard_file(folder, s).is_file()]
    bar = tqdm(total=n_shards * SHARD, initial=(n_shards - len(todo)) * SHARD, unit="img", desc="distractors",
               disable=not progress)
    with bar, ProcessPoolExecutor(workers) if workers > 1 else _Serial() as ex:
        for s in todo:
            rows = plan(s * SHARD, (s + 1) * SHARD, instances)
            parts = [rows[i::workers] for i in range(workers)]
            rendered = list(ex.map(_render_rows, [(p, size) for p in parts]))
            images = np.empty((len(rows), size, size, 3), np.uint8)
            for i, r in enumerate(rendered):
                images[i::workers] = r
            feats = extract_shard(backbone, images).astype(np.float16)
            atomic_write(shard_file(folder, s), lambda f: np.save(f, feats), binary=True)
            bar.update(len(rows))
    return write_folder(folder, count, instances)


def load(count: int, data=None, backbone_key: str | None = None) -> np.ndarray:
    """The first ``count`` distractor features (float16), from the cached shards."""
    from .data import data_dir
    root = data_dir(data) / "distractors"
    if backbone_key is None:
        from ..extract import load_backbone
        backbone_key = load_backbone("tiny", device="cpu").key
    folder = root / backbone_key
    n_shards = (count + SHARD - 1) // SHARD
    missing = [s for s in range(n_shards) if not shard_file(folder, s).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} distractor shard(s) missing under {folder}: run "
                                f"python -m basic.tinyworld distractors --count {count}")
    return np.concatenate([np.load(shard_file(folder, s)) for s in range(n_shards)])[:count]


def write_folder(folder: Path, count: int, instances) -> Path:
    x = np.concatenate([np.load(shard_file(folder, s)) for s in range((count + SHARD - 1) // SHARD)])[:count]
    rows = plan(0, count, instances)
    database = pd.DataFrame({"instance": "distractor", "text": "-",
                             "path": [f"distractor/{k:07d}/{instances[i].id}/{c}" for k, i, c in rows]})
    empty = np.zeros((0, x.shape[1]), np.float32)
    out = folder / f"n{count}"
    Features(query_image=empty, query_text=empty, db_image=x, queries=pd.DataFrame(columns=["instance", "text", "path"]),
             database=database, meta={"what": "tiny-world random distractors", "count": count,
                                      "generator": "basic.tinyworld.distractors"}).save(out)
    return out


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        return map(fn, items)


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `python -m basic.tinyworld distractors`."""
    ap.add_argument("--count", type=int, required=True, help="number of distractors (the first N of the sequence)")
    ap.add_argument("--data", default=None, help="data folder (default data/tiny or $BASIC_DATA_DIR)")
    ap.add_argument("--workers", type=int, default=2, help="rendering processes")
    return ap


def run(args: argparse.Namespace):
    out = make(args.count, args.data, workers=args.workers)
    print(f"{args.count:,} distractors: features folder {out}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld distractors", description=__doc__.split("\n")[0])
    return run(add_arguments(ap).parse_args(argv))


if __name__ == "__main__":
    main()
