"""Build the tiny i-CIR in i-CIR's own layout, its assets, and extract every feature BASIC reads.

Layout (``DATA`` = data/tiny, $BASIC_DATA_DIR or --data)::

    DATA/tiny-icir-2.0/              this version's folder (another version's data is never read):
    DATA/tiny-icir-2.0/icir/         read by basic.icir.load_icir, exactly like the real i-CIR
      query_files.csv                image_path,text_query,instance_id (one row per composed query)
      database_files.csv             image_path,text_query,instance_id
      query/<instance>/q<k>.png      image queries (the instance, plain, under small jitter)
      database/<instance>/pos_...    positives: the instance under a queried condition
      database/<instance>/hn/...     hard negatives: visual, textual, composed
      database/<instance>/dis_...    distractors: other categories under random conditions
      manifest.csv                   for every database row: role, shown instance, condition
      VERSION.txt
    DATA/tiny-icir-2.0/assets/       made the way the paper makes them
      corpus_pos.csv                 positive (object) corpus, header object_name
      corpus_neg.csv                 negative (style / condition) corpus, header style_name
      image_mean_<model>_<n>.npy     mean of L2-normalised image features of n pretraining images
      synthetic/<k>.png, synthetic_prompts.csv   min-normalisation set rendered from random prompts
    DATA/tiny-icir-2.0/features/tiny/   a basic.features.Features folder

Rows of an instance's database all carry that instance's id (each instance has its own database).
A positive carries the query text it answers; every other row carries the text "-", so only the
composed match is a positive. The benchmark's random stream is seeded with the tag "icir", disjoint
from the pretraining stream.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..features import is_features_folder
from ..fileio import atomic_write
from .captions import prompt
from .data import VERSION, data_dir, world_dir
from .render import render
from .world import CONDITIONS, KINDS, WORLD_SEED, make_instances, rng_for

# frozen design (per benchmark instance); see docs/tinyworld_card.md
N_TEXT_QUERIES = (2, 4)   # conditions of different kinds, drawn in this range
N_IMAGE_QUERIES = (1, 5)  # the instance, plain, under small jitter; drawn in this range
N_POS = (1, 4)            # positives per queried condition, drawn in this range
N_VIS_SELF = 30           # visual: the instance under non-queried conditions ...
N_VIS_SELF_PLAIN = 6      # ... of which this many plain
N_VIS_LOOKALIKE = 8       # visual: each look-alike under non-queried conditions ...
N_VIS_LOOKALIKE_PLAIN = 2 # ... of which this many plain
N_COMPOSED = 3            # composed: each look-alike under each queried condition
N_TXT_SAME_CATEGORY = 2   # textual: each instance of the category's other group under each queried condition
N_TXT_OTHER_CATEGORY = 30 # textual: instances of other categories under each queried condition
N_DISTRACTORS = 200       # other categories under random conditions
# Random draws always have these sizes and the counts above keep a prefix of them, so that a database with
# smaller counts is exactly a subset of one with larger counts (same rows, same images).
MAX_DRAWN = {"vis_self": 80, "vis_lookalike": 20, "txt_other": 40, "distractors": 300}
N_SYNTHETIC = 1000
N_MEAN_IMAGES = 5_000
NEGATIVE_TEXT = "-"

EXTRA_NEG = ("a pencil drawing", "a sketch", "pixel art", "a painting", "cartoon style", "in the dark", "snowy",
             "under the sea", "at dusk", "sandy dunes", "in the woods", "golden", "wooden", "stone", "blue", "red",
             "rotated", "sideways", "zoomed in", "tiny and distant", "a ball", "a flower", "a cactus", "a top hat")


# ----------------------------------------------------------------------------- plan
def plan(seed: int = WORLD_SEED, only=None):
    """Queries and database rows of the tiny i-CIR: lists of dicts (no pixels yet).

    Every benchmark instance gets its own database (i-CIR's protocol): positives, visual / composed /
    textual hard negatives and distractors, in the proportions set above.
    ``only``: keep the rows of these instance ids (tests build a few instances of the same world)."""
    insts = make_instances(seed)
    by_id = {i.id: i for i in insts}
    keys_by_kind = {k: [c.key for c in CONDITIONS if c.kind == k] for k in KINDS}
    text_of = {c.key: c.text for c in CONDITIONS}
    all_keys = [c.key for c in CONDITIONS]
    queries, database = [], []
    for inst in insts:
        if inst.held_out or (only is not None and inst.id not in only):
            continue
        rng = rng_for(seed, "icir", inst.id)
        n_text = int(rng.integers(N_TEXT_QUERIES[0], N_TEXT_QUERIES[1] + 1))
        n_img = int(rng.integers(N_IMAGE_QUERIES[0], N_IMAGE_QUERIES[1] + 1))
        kinds = rng.choice(KINDS, size=n_text, replace=False)
        queried = [str(rng.choice(keys_by_kind[k])) for k in kinds]
        others = [k for k in all_keys if k not in queried]
        lookalikes = [by_id[i] for i in inst.group]
        other_group = [i for i in insts if i.category == inst.category and i.id != inst.id and i.id not in inst.group]
        other_cat = [i for i in insts if i.category != inst.category]
        qdir, ddir = f"query/{inst.id}", f"database/{inst.id}"
        for k in range(n_img):
            path = f"{qdir}/q{k}.png"
            for c in queried:
                queries.append(dict(path=path, text=text_of[c], instance=inst.id, shown=inst.id, condition="neutral",
                                    seed=("icir", inst.id, "query", k)))

        def add(name, shown, cond, role, hn):
            path = f"{ddir}/hn/{name}.png" if hn else f"{ddir}/{name}.png"
            text = text_of[cond] if role == "positive" else NEGATIVE_TEXT
            database.append(dict(path=path, text=text, instance=inst.id, shown=shown, condition=cond, role=role,
                                 seed=("icir", inst.id, name)))

        def visual(prefix, shown, n, n_plain, max_drawn):
            drawn = [str(c) for c in rng.choice(others, size=max_drawn, replace=True)]
            for k in range(n_plain):
                add(f"{prefix}_neutral_p{k}", shown, "neutral", "visual", True)
            for k, c in enumerate(drawn[:n - n_plain]):
                add(f"{prefix}_{c}_d{k}", shown, c, "visual", True)

        for c in queried:
            for k in range(int(rng.integers(N_POS[0], N_POS[1] + 1))):
                add(f"pos_{c}_{k}", inst.id, c, "positive", False)
        visual("vis_self", inst.id, N_VIS_SELF, N_VIS_SELF_PLAIN, MAX_DRAWN["vis_self"])
        for o in lookalikes:
            visual(f"vis_{o.id}", o.id, N_VIS_LOOKALIKE, N_VIS_LOOKALIKE_PLAIN, MAX_DRAWN["vis_lookalike"])
        for o in lookalikes:
            for c in queried:
                for k in range(N_COMPOSED):
                    add(f"comp_{o.id}_{c}_{k}", o.id, c, "composed", True)
        for c in queried:
            for o in other_group:
                for k in range(N_TXT_SAME_CATEGORY):
                    add(f"txt_{o.id}_{c}_{k}", o.id, c, "textual", True)
            drawn = rng.integers(len(other_cat), size=MAX_DRAWN["txt_other"])
            for k in range(N_TXT_OTHER_CATEGORY):
                o = other_cat[int(drawn[k])]
                add(f"txt_{o.id}_{c}_x{k}", o.id, c, "textual", True)
        who = rng.integers(len(other_cat), size=MAX_DRAWN["distractors"])
        what = rng.choice(["neutral"] + all_keys, size=MAX_DRAWN["distractors"])
        for k in range(N_DISTRACTORS):
            o, c = other_cat[int(who[k])], str(what[k])
            add(f"dis_{o.id}_{c}_{k}", o.id, c, "distractor", False)
    return queries, database, by_id


def synthetic_plan(seed: int = WORLD_SEED, n: int = N_SYNTHETIC):
    """Random (instance, condition) prompts of the world and where their renders go."""
    insts = make_instances(seed)
    rng = rng_for(seed, "synthetic")
    keys = ["neutral"] + [c.key for c in CONDITIONS]
    rows = []
    for k in range(n):
        inst = insts[int(rng.integers(len(insts)))]
        c = str(rng.choice(keys))
        rows.append(dict(path=f"synthetic/{k:05d}.png", prompt=prompt(inst, c), shown=inst.id, condition=c,
                         seed=("synthetic", k)))
    return rows


# ----------------------------------------------------------------------------- writing
def _atomic_bytes(path: Path, data: bytes):
    atomic_write(path, lambda f: f.write(data), binary=True)


def _atomic_text(path: Path, text: str):
    _atomic_bytes(path, text.encode("utf-8"))


def _render_job(job):
    seed, root, items, size = job
    insts = {i.id: i for i in make_instances(seed)}
    done = 0
    for rel, shown, cond, parts in items:
        path = Path(root) / rel
        if path.exists():
            continue  # deterministic: an existing file is this very image (resume)
        buf = io.BytesIO()
        render(insts[shown], cond, rng_for(seed, *parts), size=size).save(buf, format="PNG")
        _atomic_bytes(path, buf.getvalue())
        done += 1
    return len(items)


def render_all(items, root: Path, seed: int, size: int, workers: int, desc: str):
    """Render (rel_path, shown_instance, condition, seed_parts) items under root, in parallel, resumably."""
    items = sorted(set(items))
    chunks = [items[i:i + 500] for i in range(0, len(items), 500)]
    jobs = [(seed, str(root), chunk, size) for chunk in chunks]
    with tqdm(total=len(items), desc=desc) as bar:
        if workers <= 1:
            for job in jobs:
                bar.update(_render_job(job))
        else:
            with ProcessPoolExecutor(workers) as pool:
                for n in pool.map(_render_job, jobs):
                    bar.update(n)


def _csv_rows(rows, columns) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([r[c] for c in columns])
    return buf.getvalue()


def write_benchmark(root: Path, seed: int = WORLD_SEED, size: int = 64, workers: int = 2, only=None) -> Path:
    """Render the tiny i-CIR under ``root`` (resumes; annotation files are rewritten identically)."""
    queries, database, _ = plan(seed, only)
    items = [(q["path"], q["shown"], q["condition"], q["seed"]) for q in queries]
    items += [(d["path"], d["shown"], d["condition"], d["seed"]) for d in database]
    render_all(items, root, seed, size, workers, "render tiny i-CIR")
    # i-CIR's annotation files: no header, rows image_path,text_query,instance_id
    _atomic_text(root / "query_files.csv", _csv_rows(queries, ("path", "text", "instance")))
    _atomic_text(root / "database_files.csv", _csv_rows(database, ("path", "text", "instance")))
    _atomic_text(root / "manifest.csv", "path,instance,shown_instance,condition,role\n" +
                 _csv_rows(database, ("path", "instance", "shown", "condition", "role")))
    _atomic_text(root / "VERSION.txt", f"{VERSION} seed={seed} size={size}\n")
    return root


def corpora(seed: int = WORLD_SEED):
    """Positive (objects) and negative (styles/conditions) corpora in the world's vocabulary."""
    insts = make_instances(seed)
    rng = rng_for(seed, "corpus")
    cats = sorted({i.category for i in insts})
    phrases = [i.phrase for i in insts]
    phrases = [phrases[k] for k in rng.permutation(len(phrases))]
    pos = cats + ["ball", "flower", "cactus", "hat"] + phrases
    neg = [c.text for c in CONDITIONS] + list(EXTRA_NEG)
    return pos, neg


def write_assets(adir: Path, seed: int = WORLD_SEED, size: int = 64, workers: int = 2,
                 n_synthetic: int = N_SYNTHETIC) -> Path:
    pos, neg = corpora(seed)
    _atomic_text(adir / "corpus_pos.csv", "object_name\n" + "".join(f"{p}\n" for p in pos))
    _atomic_text(adir / "corpus_neg.csv", "style_name\n" + "".join(f"{p}\n" for p in neg))
    syn = synthetic_plan(seed, n_synthetic)
    render_all([(s["path"], s["shown"], s["condition"], s["seed"]) for s in syn], adir, seed, size, workers,
               "render synthetic set")
    _atomic_text(adir / "synthetic_prompts.csv", "path,prompt\n" + _csv_rows(syn, ("path", "prompt")))
    return adir


def pretrain_image_mean(backbone, n: int = N_MEAN_IMAGES, n_images: int = 100_000, seed: int = WORLD_SEED,
                        batch_size: int = 500, workers: int = 2) -> np.ndarray:
    """Mean of the L2-normalised image features of the first ``n`` pretraining images (the LAION-1M
    analogue). The images are rendered afresh from the pretraining stream, so no pretraining shards are needed."""
    import torch
    from .data import pretrain_images
    from .train import to_input
    images = pretrain_images(np.arange(min(n, n_images)), n=n_images, seed=seed, workers=workers)
    total = None
    with torch.no_grad():
        for s in tqdm(range(0, len(images), batch_size), desc="image mean (pretraining images)"):
            x = to_input(torch.from_numpy(images[s:s + batch_size])).to(backbone.device)
            f = torch.nn.functional.normalize(backbone.model.encode_image(x).float(), dim=-1)
            total = f.sum(0).cpu().numpy() if total is None else total + f.sum(0).cpu().numpy()
    return (total / len(images)).astype(np.float32)


def extract(data: Path, out: Path, overwrite: bool = False, workers: int = 2, n_images: int = 100_000,
            n_mean: int = N_MEAN_IMAGES):
    """All features through basic.extract (the same open_clip code path as ViT-L/14)."""
    import torch
    from ..extract import encode_images, encode_texts, extract_benchmark, load_backbone

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    backbone = load_backbone("tiny", device="cpu")
    adir = data / "assets"
    mean_path = adir / f"image_mean_{backbone.key}_{n_mean}.npy"  # depends on the model: keyed by it
    if mean_path.exists():
        image_mean = np.load(mean_path)
    else:
        image_mean = pretrain_image_mean(backbone, n=n_mean, n_images=n_images, workers=workers)
        atomic_write(mean_path, lambda f: np.save(f, image_mean), binary=True)
    syn = pd.read_csv(adir / "synthetic_prompts.csv", dtype=str, keep_default_na=False)
    syn_image = encode_images(backbone, syn.path, root=adir, batch_size=256, num_workers=workers,
                              shard_dir=data / "cache" / "synthetic" / backbone.key, progress=True)
    syn_text = encode_texts(backbone, syn.prompt)
    feats = extract_benchmark(backbone, data / "icir", out, adir / "corpus_pos.csv", adir / "corpus_neg.csv",
                              image_mean=image_mean, synthetic=(syn_image, syn_text), batch_size=256,
                              num_workers=workers, cache_dir=data / "cache", overwrite=overwrite)
    feats = feats.replace(synthetic_prompts=syn.prompt.to_numpy(),
                          meta={**feats.meta, "dataset": "tiny i-CIR", "dataset_version": VERSION,
                                "image_mean": f"mean of L2-normalised features of the first {n_mean} pretraining images",
                                "synthetic": f"{len(syn)} renders of random world prompts"})
    feats.save(out)
    return feats


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def features_folder(data=None) -> Path:
    """Where ``build`` writes this version's features (inside data/tiny/tiny-icir-2.0/)."""
    return world_dir(data) / "features" / "tiny"


def build(data=None, out=None, seed: int = WORLD_SEED, workers: int = 2, overwrite: bool = False,
          extract_features: bool = True) -> Path:
    """Render the tiny i-CIR and its assets (resumable) and extract its features; return the features folder.

    Everything goes under this version's folder (``world_dir``), so data of version 1 is never read."""
    root = world_dir(data)
    out = Path(out) if out else features_folder(data)
    old = data_dir(data) / "icir" / "VERSION.txt"
    if old.is_file() and not old.read_text().startswith(VERSION):
        _say(f"note: {old.parent} holds {old.read_text().split()[0]}, an older tiny world; it is not used "
             f"(this is {VERSION}, built in {root}); delete the old folders to free space")
    t0 = time.time()
    write_benchmark(root / "icir", seed, workers=workers)
    write_assets(root / "assets", seed, workers=workers)
    _say(f"rendered the tiny i-CIR ({VERSION}) and its assets under {root} in {time.time() - t0:.0f} s")
    if not extract_features:
        return out
    if is_features_folder(out) and not overwrite:
        _say(f"{out} exists: kept (pass --overwrite to extract again)")
        return out
    t1 = time.time()
    extract(root, out, overwrite=overwrite, workers=workers)
    _atomic_text(root / "build_timing.json", json.dumps({"render_s": t1 - t0, "extract_s": time.time() - t1}))
    _say(f"features in {out} ({time.time() - t1:.0f} s); total {time.time() - t0:.0f} s")
    return out


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `python -m basic.tinyworld build`."""
    ap.add_argument("--data", default=None, help="data folder (default data/tiny or $BASIC_DATA_DIR)")
    ap.add_argument("--out", default=None, help=f"features folder (default DATA/{VERSION}/features/tiny)")
    ap.add_argument("--seed", type=int, default=WORLD_SEED)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--overwrite", action="store_true", help="replace an existing features folder")
    ap.add_argument("--no-extract", action="store_true", help="only render the benchmark and assets")
    return ap


def run(args: argparse.Namespace):
    out = build(args.data, args.out, args.seed, args.workers, args.overwrite, not args.no_extract)
    print(out)  # the last line of standard output: the features folder


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld build", description=__doc__.split("\n")[0])
    return run(add_arguments(ap).parse_args(argv))


if __name__ == "__main__":
    main()
