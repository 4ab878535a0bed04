"""Measure the tiny world and write its dataset card (docs/tinyworld_card.md).

One command reproduces every number: ``python -m basic.tinyworld card`` (after ``build``).
  * the calibration table: each target of the tiny world 2.0, the i-CIR / CLIP value, version 1, version 2
    (basic.tinyworld.calibrate: baselines and geometry only),
  * the baselines beside the paper's Table 1, and the composition curve (Fig. 6),
  * the Table 2 ladder (none, C, CM, CMH, CMHX, CMHXP, CMHXPQ) beside the paper's, with one measured
    diagnostic per component,
  * the tiny CLIP's zero-shot accuracies on fresh renders, Fig. 2's statistics, where the top-10 comes from.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paper
from ..fileio import atomic_write
from ..methods import METHODS
from .data import REPO, VERSION, world_dir
from .world import (BENCHMARK_PER_CATEGORY, CATEGORIES, CONDITIONS, INSTANCES_PER_CATEGORY, LOOKALIKE_GROUP,
                    WORLD_SEED, make_instances, rng_for)

CARD = REPO / "docs" / "tinyworld_card.md"
EXAMPLES = REPO / "docs" / "tinyworld_examples.png"


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def zero_shot(per_instance: int = 10, seed: int = WORLD_SEED) -> dict:
    """Zero-shot accuracies of the tiny CLIP on fresh renders of every instance under random conditions."""
    import torch
    from ..extract import encode_texts, load_backbone
    from .render import render_array
    from .train import to_input

    bb = load_backbone("tiny", device="cpu")
    insts = make_instances(seed, benchmark_only=True)
    keys = [c.key for c in CONDITIONS]
    rng = rng_for(seed, "zeroshot")
    rows = []
    for i, inst in enumerate(insts):
        for k in range(per_instance):
            c = "neutral" if k == 0 else str(rng.choice(keys))
            rows.append((i, c, render_array(inst, c, (seed, "zeroshot", inst.id, k))))
    with torch.no_grad():
        img = bb.model.encode_image(to_input(torch.from_numpy(np.stack([r[2] for r in rows])))).float().numpy()
    img = _unit(img)
    inst_idx = np.array([r[0] for r in rows])
    cond = np.array([r[1] for r in rows])
    cats = sorted({i.category for i in insts})
    cat_idx = np.array([cats.index(insts[i].category) for i in inst_idx])
    t_cat = _unit(encode_texts(bb, [f"a photo of a {c}" for c in cats]))
    t_inst = _unit(encode_texts(bb, [f"a photo of {i.phrase}" for i in insts]))
    t_cond = _unit(encode_texts(bb, [c.text for c in CONDITIONS]))
    within = []
    for n, i in enumerate(inst_idx):
        same = [j for j, o in enumerate(insts) if o.category == insts[i].category]
        within.append(same[int(np.argmax(img[n] @ t_inst[same].T))] == i)
    has_cond = cond != "neutral"
    cond_idx = np.array([keys.index(c) if c != "neutral" else -1 for c in cond])
    # image -> image: same instance, any condition (instance-level retrieval, plain query images)
    q = np.flatnonzero(cond == "neutral")
    sims = img[q] @ img.T
    aps = []
    for a, qi in enumerate(q):
        s = np.delete(sims[a], qi)
        pos = np.delete(inst_idx == inst_idx[qi], qi)
        order = np.argsort(-s, kind="stable")
        hits = pos[order]
        ranks = np.flatnonzero(hits)
        if len(ranks):
            aps.append(np.mean((np.arange(len(ranks)) + 1) / (ranks + 1)))
    return {
        "images": len(rows),
        f"category ({len(cats)}-way)": float((np.argmax(img @ t_cat.T, 1) == cat_idx).mean()),
        f"instance ({len(insts)}-way)": float((np.argmax(img @ t_inst.T, 1) == inst_idx).mean()),
        f"instance within its category ({len(insts) // len(cats)}-way)": float(np.mean(within)),
        f"condition ({len(keys)}-way, non-plain images)": float((np.argmax(img[has_cond] @ t_cond.T, 1) == cond_idx[has_cond]).mean())
        if has_cond.any() else float("nan"),
        "image->image same instance mAP (plain query, any condition)": float(np.mean(aps)) if aps else float("nan"),
    }


def top10_roles(blocks, roles: np.ndarray, k: int = 10) -> dict:
    counts = {}
    for qr, dr, s in blocks:
        top = np.argsort(-s, axis=1, kind="stable")[:, :k]
        for r in roles[dr][top].ravel():
            counts[r] = counts.get(r, 0) + 1
    total = sum(counts.values())
    return {r: counts.get(r, 0) / total for r in ("positive", "visual", "textual", "composed", "distractor")}


def examples_figure(path: Path = EXAMPLES, seed: int = WORLD_SEED) -> Path:
    """A look-alike group of four (rows 1-4) and four other categories (rows 5-8), plain + every condition."""
    from PIL import Image
    from .render import render_array
    insts = make_instances(seed)
    keys = ["neutral"] + [c.key for c in CONDITIONS]
    rows = [np.concatenate([render_array(inst, k, (seed, "card", inst.id, k)) for k in keys], 1)
            for inst in insts[0:4] + insts[24:128:26]]
    picture = Image.fromarray(np.concatenate(rows, 0)).quantize(256)
    atomic_write(path, lambda f: picture.save(f, format="PNG", optimize=True), binary=True)
    return path


def _training_summary() -> str:
    """The final training command and its 'done' line, from the committed training log."""
    from .model import ASSETS
    log = ASSETS / "train_log.txt"
    if not log.exists():
        return ""
    lines = log.read_text().splitlines()
    cmds = [l.split("command: ", 1)[1] for l in lines if "command: " in l]
    done = [l.split("] ", 1)[1].split("; fp16 weights")[0] for l in lines if "] done:" in l]
    return (f"Final command: `{cmds[-1]}` ({len(cmds)} invocations in the log: earlier ones were stopped and "
            f"resumed from their checkpoint; the warm-up is identical, so the result equals a fresh run of the "
            f"final command); {done[-1] if done else ''}.") if cmds else ""


def _md(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    cols = list(frame.columns)
    out = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        out.append("| " + " | ".join(format(v, floatfmt) if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(out)



# ----------------------------------------------------------------------------- fixed records
#: The commit at which the tiny world 2.0 (renderer, captions, benchmark design, tiny CLIP) was frozen,
#: before BASIC or any of its components was run on it.
FROZEN_AT = "aafbaf3"

#: Version 1 (tiny-icir-1.0), measured with basic.tinyworld.calibrate on its features before it was
#: replaced (commit fa4ac1d, the tiny CLIP of that commit); version 1 can no longer be rebuilt from this code.
V1 = {"Text × Image mmAP": 82.31, "Text × Image / Text + Image": 82.31 / 88.77, "Text / Text × Image": 26.05 / 82.31,
      "Image / Text × Image": 11.56 / 82.31, "composition gain (best mixture − best single), points": 63.87,
      "random image pairs with cosine > 0": 56.3, "mean cosine: random image pairs − matched text-image pairs": -0.559}

#: The paper's numbers (Psomas et al., NeurIPS 2025; CLIP ViT-L/14, i-CIR, mmAP %): basic.paper.
PAPER_TABLE1 = {k: paper.value(f"table1.{v}") for k, v in {
    "text": "text", "image": "image", "sum": "sum", "product": "product", "weicom": "weicom",
    "ablation-CMHXPQ": "basic", "ablation-CMHXP": "basic_no_qe"}.items()}
PAPER_LADDER = {k: paper.value(f"table2.{k}") for k in ("none", "C", "CM", "CMH", "CMHX", "CMHXP", "CMHXPQ")}
PAPER_MINIMA = {"s_v,min": paper.value("minima.s_v_min"), "s_t,min": paper.value("minima.s_t_min")}
PAPER_GAIN = paper.value("fig6.composition_gain")
LADDER = ("none", "C", "CM", "CMH", "CMHX", "CMHXP", "CMHXPQ")
NAMES = {**{name: method.label for name, method in METHODS.items()},   # the method table's labels
         "ablation-CMHXPQ": "BASIC (CMHXPQ)", "ablation-CMHXP": "BASIC without QE (CMHXP)"}
COMPONENT = {"C": "centering", "M": "min-normalisation", "H": "Harris fusion", "X": "contextualisation",
             "P": "contrastive projection", "Q": "query expansion"}


# ----------------------------------------------------------------------------- diagnostics (after the freeze)
def diagnostics(f, geo: dict, roles: np.ndarray) -> dict:
    """One measured quantity per BASIC component, to read the ladder with (run only after the freeze)."""
    from .. import equations as eq
    from ..config import preset
    from ..retrieval import sweep
    from .calibrate import _unit as unit
    db = unit(f.db_image)
    qt = unit(f.query_text)
    mean_image = np.asarray(f.image_mean, np.float32).reshape(-1)
    mean_text = unit(f.corpus_pos).mean(0)
    out = {}
    from ..retrieval import evaluate
    tops = [top10_roles(list(evaluate(f, name, keep_scores=True).scores.values()), roles)
            for name in ("ablation-none", "ablation-C")]
    out["C"] = ("top-10 by role before → after centering: " + ", ".join(
                f"{r} {100 * tops[0][r]:.1f}% → {100 * tops[1][r]:.1f}%" for r in tops[0]) + "; "
                f"centroid distance between the synthetic set's images and texts: "
                f"{geo['modality gap: centroid distance, raw']:.3f} raw, "
                f"{geo['modality gap: centroid distance, centred']:.3f} centred; norm of the database images' "
                f"centroid {np.linalg.norm(db.mean(0)):.3f} raw, {np.linalg.norm(db.mean(0) - mean_image):.3f} "
                f"centred; of the query texts' centroid {np.linalg.norm(qt.mean(0)):.3f} raw, "
                f"{np.linalg.norm(qt.mean(0) - mean_text):.3f} centred")
    out["M"] = (f"s_v,min = {geo['s_v,min after centering (synthetic set)']:.3f}, s_t,min = "
                f"{geo['s_t,min after centering (synthetic set)']:.3f} (CLIP in the paper: "
                f"{PAPER_MINIMA['s_v,min']}, {PAPER_MINIMA['s_t,min']})")
    lams = (0.0, 0.05, 0.1, 0.2, 0.5)
    sw = sweep(f, preset("ablation-CMH"), "harris_lambda", lams)
    out["H"] = ("mmAP of CMH over λ: " + ", ".join(f"λ={l:g}: {100 * m:.2f}" for l, m in zip(sw["harris_lambda"], sw["mmAP"]))
                + " (the default is λ = 0.1)")
    ctx = unit(f.query_text_context)
    out["X"] = (f"mean cosine between a query text and its contextualised feature: {np.mean(np.sum(qt * ctx, 1)):.3f}")
    pos_c = eq.center(unit(f.corpus_pos), mean_text)
    neg_c = eq.center(unit(f.corpus_neg), mean_text)
    values, _ = eq.contrastive_spectrum(pos_c, neg_c, 0.2)
    k = eq.projection_rank(pos_c, neg_c, 0.2, 250)
    qi_c = eq.center(unit(f.query_image), mean_image)
    proj = eq.contrastive_projection(pos_c, neg_c, 0.2, 250)
    kept = np.linalg.norm(qi_c @ proj, axis=1) ** 2 / np.linalg.norm(qi_c, axis=1) ** 2
    out["P"] = (f"the contrastive matrix has {int((values > 0).sum())} positive eigenvalues of {len(values)}; "
                f"P keeps rank {k}, which holds {100 * kept.mean():.1f}% of a centred query image's energy on average")
    n_pos = f.database[f.database.text != "-"].groupby(["instance", "text"]).size()
    out["Q"] = (f"expansion averages the query with its k = 25 nearest database items, while a query has "
                f"{n_pos.mean():.1f} positives on average (at most {n_pos.max()}): most neighbours are negatives")
    return out


# ----------------------------------------------------------------------------- measure and write
def measure(root: Path, features_dir: Path, zero_shot_per_instance: int = 10, with_basic: bool = True) -> dict:
    """Everything the card shows. ``root``: this version's folder (icir/, assets/); BASIC runs only if
    ``with_basic`` (the world was frozen before it ever did)."""
    from ..features import Features
    from ..icir import load_icir, statistics, summary
    from ..retrieval import evaluate
    from .calibrate import baselines, geometry, targets

    t0 = time.time()
    icir = load_icir(root / "icir")
    stats = summary(statistics(icir.queries, icir.database))
    f = Features.load(features_dir)
    geo, base = geometry(f), baselines(f)
    manifest = pd.read_csv(root / "icir" / "manifest.csv", dtype=str, keep_default_na=False)
    roles = np.asarray(manifest.set_index("path").loc[np.asarray(f.database.path, dtype=str), "role"], dtype=str)
    role_rows = {}
    for name in ("image", "text", "product") + (("ablation-CMHXP",) if with_basic else ()):
        r = evaluate(f, name, keep_scores=True)
        role_rows[NAMES.get(name, name)] = top10_roles([v for v in r.scores.values()], roles)
    out = {"stats": stats, "geometry": geo, "baselines": base, "targets": targets(base, geo), "roles": role_rows,
           "zero_shot": zero_shot(zero_shot_per_instance), "n_queries": len(f.queries), "n_db": len(f.database),
           "n_instances": f.queries.instance.nunique(), "features": str(features_dir)}
    if with_basic:
        out["ladder"] = {row: 100 * evaluate(f, f"ablation-{row}").mmAP for row in LADDER}
        out["diagnostics"] = diagnostics(f, geo, roles)
    timing = root / "build_timing.json"
    out["build_timing"] = json.loads(timing.read_text()) if timing.exists() else None
    out["seconds"] = time.time() - t0
    return out


def composition_figure(base: dict, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=110)
    for name, curve in base["curves"].items():
        ax.plot(list(curve), list(curve.values()), marker="o", label=name.replace("weighted-", "weighted "))
    ax.axhline(base["best single modality"], color="grey", ls="--", lw=1, label="best single modality")
    ax.set_xlabel("text weight w (0 = image only, 1 = text only)")
    ax.set_ylabel("mmAP (%)")
    ax.set_title(f"Tiny world {VERSION}: composition gain +{base['composition gain']:.1f} (i-CIR: +{PAPER_GAIN})",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png"), binary=True)
    plt.close(fig)
    return path


def _direction(ours: float, paper: float) -> str:
    if abs(ours) < 0.5:
        return "flat here"
    return "with the paper" if np.sign(ours) == np.sign(paper) else "**against the paper**"


def write_card(m: dict, path: Path = CARD) -> Path:
    from . import build as b
    base, geo = m["baselines"], m["geometry"]
    stats = m["stats"].copy()
    for col in stats.columns:
        stats[col] = [f"{v:.2f}" if col == "mean" else str(int(v)) for v in stats[col]]
    stats = stats.reset_index().rename(columns={"index": "statistic (Fig. 2)"})
    calib = pd.DataFrame([{"target": t.name, "rule": t.rule, "i-CIR / CLIP": t.icir,
                           "version 1": f"{V1[t.name]:.2f}", "version 2": f"{t.value:.2f}",
                           "met (v2)": "yes" if t.ok else "**no**"} for t in m["targets"]])
    missed = [t for t in m["targets"] if not t.ok]
    geo_t = pd.DataFrame([{"quantity": k, "tiny CLIP": f"{v:.3f}"} for k, v in geo.items()])
    t1_rows = [{"method": NAMES[k], "tiny world (ours)": f"{base[k]:.2f}", "paper, i-CIR": f"{PAPER_TABLE1[k]:.2f}"}
               for k in ("text", "image", "sum", "product", "weicom")]
    ladder = m.get("ladder")
    if ladder:
        t1_rows += [{"method": NAMES[f"ablation-{k}"], "tiny world (ours)": f"{ladder[k]:.2f}",
                     "paper, i-CIR": f"{PAPER_TABLE1[f'ablation-{k}']:.2f}"} for k in ("CMHXPQ", "CMHXP")]
    curves = pd.DataFrame({"w (text weight)": list(base["curves"]["weighted-sum"]),
                           **{k.replace("weighted-", "weighted ") + " mmAP": list(v.values())
                              for k, v in base["curves"].items()}})
    roles = pd.DataFrame([{"scores": k, **v} for k, v in m["roles"].items()])
    zs = pd.DataFrame([{"zero-shot test": k, "value": f"{v:.3f}" if isinstance(v, float) else str(v)}
                       for k, v in m["zero_shot"].items()])
    train = _training_summary()
    bt = m.get("build_timing")
    build_line = (f"`build` took {bt['render_s']:.0f} s to render and {bt['extract_s']:.0f} s to extract "
                  f"(total {bt['render_s'] + bt['extract_s']:.0f} s) on this 2-core machine." if bt else "")
    n_all = len(make_instances())
    cond_kinds = ", ".join(f"{k} ({', '.join(c.text for c in CONDITIONS if c.kind == k)})"
                           for k in dict.fromkeys(c.kind for c in CONDITIONS))
    if ladder:
        prev, rows, reasons = None, [], []
        for row in LADDER:
            step = row[-1] if row != "none" else None
            d_ours = None if prev is None else ladder[row] - ladder[prev]
            d_paper = None if prev is None else PAPER_LADDER[row] - PAPER_LADDER[prev]
            rows.append({"components": row, "added": COMPONENT.get(step, "—"), "tiny world (ours)": f"{ladder[row]:.2f}",
                         "Δ ours": "" if d_ours is None else f"{d_ours:+.2f}", "paper, i-CIR": f"{PAPER_LADDER[row]:.2f}",
                         "Δ paper": "" if d_paper is None else f"{d_paper:+.2f}",
                         "direction": "" if d_ours is None else _direction(d_ours, d_paper)})
            if d_ours is not None:
                reasons.append(f"* **{step}** ({COMPONENT[step]}, {d_ours:+.2f} here, {d_paper:+.2f} in the paper; "
                               f"{_direction(d_ours, d_paper).replace('**', '')}): {m['diagnostics'][step]}.")
            prev = row
        ladder_md = _md(pd.DataFrame(rows)) + "\n\nOne measured quantity per component, to read each step with:\n\n" + "\n".join(reasons)
        against = [r["components"][-1] for r in rows if "against" in r["direction"]]
        ladder_md += ("\n\nComponents that move against the paper here: " + (", ".join(against) if against else "none") + ".")
    else:
        ladder_md = "_Not measured: the card was written with `--no-basic` (calibration only)._"
    text = f"""# The tiny world and the tiny i-CIR ({VERSION})

A procedural stand-in for i-CIR that runs offline on a laptop CPU in minutes, seen through a tiny CLIP trained
the way CLIP is trained. Generated by `basic/tinyworld/` (renderer, captions, tiny CLIP, builder, calibration);
every number below is reproduced by

    python -m basic.tinyworld build   # render the tiny i-CIR + assets, extract features (offline); prints the features folder
    python -m basic.tinyworld card    # measure, rewrite this file

**Numbers come from the tiny world, not from i-CIR**: they say whether the world behaves like the real
problem, nothing about BASIC on real images.

**Frozen at commit `{FROZEN_AT}`.** The world and the backbone were designed and calibrated against the
baselines and the geometry below only (`basic/tinyworld/calibrate.py`); BASIC and its components were never
run on version 2 before that commit. The ladder at the end was measured afterwards and is reported as it came out.

## Calibration: version 2 against its targets
The targets are properties of i-CIR and of CLIP that do not involve BASIC (the paper's Table 1 baselines;
CLIP's narrow cone of image features and its modality gap). `tests/test_tinyworld_calibration.py` asserts
them on the built features.

{_md(calib)}

{"All targets are met." if not missed else "Missed: " + "; ".join(f"{t.name} ({t.value:.2f}, target {t.rule})" for t in missed) + ". What was tried, and why it stays missed: `docs/tinyworld_calibration.md`."}

### Geometry of the tiny CLIP on the tiny i-CIR
Random image pairs: database images; matched text–image pairs: the synthetic set's renders and their own
prompts (unmatched: another row's prompt); centering uses the image mean and the object corpus' text mean,
as BASIC's C does.

{_md(geo_t)}

## Baselines beside the paper's Table 1 (mmAP %, trapezoidal AP as the reference)
{_md(pd.DataFrame(t1_rows))}

The paper's column is CLIP ViT-L/14 on i-CIR. Compare directions and ratios, not values.

## The composition curve (Fig. 6)
s = (1 − w)·s_v + w·s_t (weighted sum) and s = max(s_v,0)^(1−w)·max(s_t,0)^w (weighted product), raw cosines.

![composition](tinyworld_composition.png)

{_md(curves, '.2f')}

Best mixture {base['best weighted mixture']:.2f} against the best single modality {base['best single modality']:.2f}:
composition gain **+{base['composition gain']:.2f}** points (i-CIR, paper Fig. 6: +{PAPER_GAIN}).

## The Table 2 ladder beside the paper's (mmAP %)
{ladder_md}

## The world
* {n_all} named instances: {len(CATEGORIES)} categories × {INSTANCES_PER_CATEGORY}, in look-alike groups of
  {LOOKALIKE_GROUP} (same body colour, accent colour, surface pattern and emblem colour; only a small
  emblem's shape and slightly the proportions differ). {BENCHMARK_PER_CATEGORY} per category are in the
  benchmark; the other {INSTANCES_PER_CATEGORY - BENCHMARK_PER_CATEGORY} (one per group) appear only in
  pretraining and as look-alike hard negatives. Names are made-up words ("kimo the mug").
* {len(CONDITIONS)} conditions of i-CIR's five kinds: {cond_kinds}. 64-px images, rendered with PIL from a seed.

![examples](tinyworld_examples.png)

Rows 1–4: one look-alike group; rows 5–8: other categories. Columns: plain, then the conditions in the
order listed above.

## The tiny i-CIR (i-CIR's layout: `query_files.csv`, `database_files.csv`, `query/`, `database/<instance>/hn/`)
Per benchmark instance: {b.N_IMAGE_QUERIES[0]}–{b.N_IMAGE_QUERIES[1]} image queries (the instance, plain) ×
{b.N_TEXT_QUERIES[0]}–{b.N_TEXT_QUERIES[1]} text queries (conditions of different kinds); its own database of
{b.N_POS[0]}–{b.N_POS[1]} positives per text query, and hard negatives: visual — the instance under
{b.N_VIS_SELF} non-queried conditions (6 plain) and each of its {LOOKALIKE_GROUP - 1} look-alikes under
{b.N_VIS_LOOKALIKE}; composed — each look-alike {b.N_COMPOSED}× under each queried condition; textual — each
instance of the category's other look-alike group {b.N_TXT_SAME_CATEGORY}× and {b.N_TXT_OTHER_CATEGORY}
instances of other categories under each queried condition; and {b.N_DISTRACTORS} distractors (other
categories, random conditions). Positives carry the query text; every other row carries `-`.
`manifest.csv` gives each database image's role, shown instance and condition.

{m['n_instances']} instances, {m['n_queries']} composed queries, {m['n_db']} database images.

### Fig. 2 statistics
{_md(stats, '.2f')}

### Where the top-10 comes from (fraction of top-10 items by role)
{_md(roles)}

## Assets (made the way the paper makes them)
* positive corpus `assets/corpus_pos.csv`: the categories, the addition objects and the instance phrases;
  the first 100 rows (header included, as the reference) contextualise the text queries;
* negative corpus `assets/corpus_neg.csv`: the condition texts and paraphrases;
* image mean `assets/image_mean_<model key>_5000.npy`: mean of the L2-normalised tiny-CLIP features of the
  first 5,000 pretraining images (the LAION-1M analogue);
* synthetic set `assets/synthetic/` + `synthetic_prompts.csv`: 1,000 renders of random world prompts.

## The tiny CLIP
open_clip config `tiny-clip-rn` (ModifiedResNet [1,1,1,1] width 32 at 64 px, text transformer 4×128,
context 32, the first 8,000 merges of CLIP's BPE), 7.2M parameters, checkpoint
`basic/tinyworld/assets/tiny-clip-rn.fp16.pt` with its training log (`train_log.txt`). {train}
Trained the way CLIP is trained: CLIP's symmetric image–text contrastive loss with a learned temperature
(initialised at 1/0.07, clamped at 100) and nothing else; uniformly random batches of 256 image–caption
pairs from 100,000 rendered pairs of all {n_all} instances; AdamW, lr 1e-3 with 150 warm-up steps then
cosine, bf16 autocast, seed 0. No identity label enters the loss. Captions have the mixed specificity of web
alt-texts: the instance's name 30% of the time, a generic word 15%, otherwise the category; the condition
85% of the time (a paraphrase in a quarter of those); clutter words ("hd", "stock photo") in 35%.

### Zero-shot (fresh renders of the benchmark instances, never seen in training)
{_md(zs)}

{build_line}
Measured in {m['seconds']:.0f} s on this machine (2 CPU cores) by `python -m basic.tinyworld card`.
"""
    atomic_write(path, lambda f: f.write(text))
    return path


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `python -m basic.tinyworld card`."""
    ap.add_argument("--data", default=None, help="data folder (default data/tiny or $BASIC_DATA_DIR)")
    ap.add_argument("--features", default=None, help=f"features folder (default DATA/{VERSION}/features/tiny)")
    ap.add_argument("--card", default=str(CARD))
    ap.add_argument("--json", default=None, help="also write the numbers as JSON here")
    ap.add_argument("--no-basic", action="store_true", help="calibration only: do not run BASIC")
    return ap


def run(args: argparse.Namespace):
    from .build import features_folder
    root = world_dir(args.data)
    m = measure(root, Path(args.features) if args.features else features_folder(args.data),
                with_basic=not args.no_basic)
    path = write_card(m, Path(args.card))
    if Path(args.card).resolve() == CARD.resolve():
        examples_figure()
        composition_figure(m["baselines"], CARD.parent / "tinyworld_composition.png")
    if args.json:
        keep = {"baselines": m["baselines"], "geometry": m["geometry"], "ladder": m.get("ladder"),
                "targets": [dataclasses.asdict(t) for t in m["targets"]], "zero_shot": m["zero_shot"]}
        atomic_write(args.json, lambda f: json.dump(keep, f, indent=2, default=str))
    print(f"wrote {path}", file=sys.stderr)
    for t in m["targets"]:
        print(f"{'ok  ' if t.ok else 'MISS'} {t.name}: {t.value:.3f} ({t.rule})", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld card")
    return run(add_arguments(ap).parse_args(argv))


if __name__ == "__main__":
    main()
