"""Where generated data lives, atomic writes, and the pretraining set (rendered image-caption pairs).

Data goes under ``data/tiny/`` in the repository root, or ``$BASIC_DATA_DIR``, or an explicit folder, in
a sub-folder named for the world's version (``data/tiny/tiny-icir-2.0/``): data of another version is never
read or mixed in. The pretraining set is rendered in shards (``pretrain/shard_XXX.npz``: uint8 images, instance ids,
condition keys, captions); a shard on disk is kept, so an interrupted run resumes. Its random stream
is seeded with the tag "pretrain", the benchmark's with "icir": the two never share an image.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..fileio import atomic_write
from .captions import caption
from .render import render_array
from .world import CONDITIONS, WORLD_SEED, make_instances, rng_for

REPO = Path(__file__).resolve().parents[2]
VERSION = "tiny-icir-2.0"
P_NEUTRAL = 0.2


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The tiny world's data folder (all versions): ``path``, else $BASIC_DATA_DIR, else data/tiny."""
    return Path(path or os.environ.get("BASIC_DATA_DIR") or REPO / "data" / "tiny")


def world_dir(path: str | os.PathLike | None = None) -> Path:
    """This version's folder inside the data folder: everything the builder writes goes there."""
    return data_dir(path) / VERSION


def atomic_save_npz(path: Path, **arrays) -> None:
    atomic_write(path, lambda f: np.savez(f, **arrays), binary=True)


def pretrain_samples(n: int, seed: int = WORLD_SEED):
    """(instance index, condition key) of the n pretraining images."""
    rng = rng_for(seed, "pretrain", "plan")
    insts = make_instances(seed)
    keys = [c.key for c in CONDITIONS]
    inst = rng.integers(0, len(insts), n)
    cond = np.where(rng.random(n) < P_NEUTRAL, "neutral", rng.choice(keys, n))
    return inst, cond


def _render_shard(args):
    seed, start, stop, size = args
    insts = make_instances(seed)
    inst_idx, cond = pretrain_samples(stop, seed)  # a shard's pairs are the first `stop` of this plan
    imgs, caps = [], []
    for i in range(start, stop):
        inst = insts[inst_idx[i]]
        imgs.append(render_array(inst, cond[i], (seed, "pretrain", i), size=size))
        caps.append(caption(inst, cond[i], rng_for(seed, "pretrain-caption", i)))
    return (np.stack(imgs), np.array([insts[k].id for k in inst_idx[start:stop]]),
            cond[start:stop].astype(str), np.array(caps))


def _render_indices(args):
    seed, n, indices, size, shard = args
    insts = make_instances(seed)
    plans, out = {}, []
    for i in indices:
        stop = min(n, (int(i) // shard + 1) * shard)  # the plan of i's shard, as _render_shard draws it
        if stop not in plans:
            plans[stop] = pretrain_samples(stop, seed)
        inst_idx, cond = plans[stop]
        out.append(render_array(insts[inst_idx[i]], cond[i], (seed, "pretrain", int(i)), size=size))
    return np.stack(out)


def pretrain_images(indices, n: int = 100_000, seed: int = WORLD_SEED, size: int = 64, workers: int = 2,
                    shard: int = 5000) -> np.ndarray:
    """The pretraining images at ``indices`` (rendered afresh: identical to the shards' pixels)."""
    indices = np.asarray(indices)
    chunks = [(seed, n, indices[i:i + 500], size, shard) for i in range(0, len(indices), 500)]
    with ProcessPoolExecutor(max(1, workers)) as pool:
        parts = list(tqdm(pool.map(_render_indices, chunks), total=len(chunks), desc="render pretraining images"))
    return np.concatenate(parts)


def build_pretrain(n: int = 50_000, root=None, seed: int = WORLD_SEED, size: int = 64,
                   shard: int = 5000, workers: int = 2) -> Path:
    """Render the pretraining set into ``root/pretrain/`` (resumes: existing shards are kept)."""
    out = world_dir(root) / "pretrain"
    out.mkdir(parents=True, exist_ok=True)
    todo = [(seed, s, min(n, s + shard), size) for s in range(0, n, shard)
            if not (out / f"shard_{s // shard:03d}_{seed}_{n}.npz").exists()]
    with ProcessPoolExecutor(workers) as pool:
        for args, (imgs, ids, conds, caps) in tqdm(zip(todo, pool.map(_render_shard, todo)), total=len(todo),
                                                   desc="render pretraining shards"):
            atomic_save_npz(out / f"shard_{args[1] // shard:03d}_{seed}_{n}.npz",
                            images=imgs, instance=ids, condition=conds, caption=caps)
    return out


def load_pretrain(n: int = 50_000, root=None, seed: int = WORLD_SEED, shard: int = 5000):
    """images (N,H,W,3) uint8, instance ids, condition keys, captions."""
    out = world_dir(root) / "pretrain"
    parts = []
    for s in range(0, n, shard):
        p = out / f"shard_{s // shard:03d}_{seed}_{n}.npz"
        if not p.exists():
            raise FileNotFoundError(f"{p} missing: run `python -m basic.tinyworld pretrain-data` first")
        with np.load(p) as z:
            parts.append({k: z[k] for k in z.files})
    return tuple(np.concatenate([p[k] for p in parts]) for k in ("images", "instance", "condition", "caption"))
