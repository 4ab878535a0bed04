# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · The distractor curve: hard negatives against random distractors
#
# The paper calls i-CIR *compact yet as hard as searching among more than 40M random distractors*. This notebook
# puts that claim to the test on the tiny world. It drops every hard negative, so that each instance keeps only
# the rows that are positive for one of its queries (`basic.distractor_curve.positives_only`). It then adds the
# first N **random distractors** to every instance's database and plots the mmAP of Text × Image and of BASIC
# against N on a log axis. The benchmark itself, hard negatives included, is drawn as a horizontal line: the
# level the random distractors have to reach.
#
# The distractors come from the tiny world's own generator (`python -m basic.tinyworld distractors --count N`).
# They are instances made with derived seeds, whose names and looks differ from every benchmark instance, each
# under a random condition. They are rendered and encoded by the tiny CLIP once, then cached. Every query is
# scored exactly against all of its rows (`basic.search`, exhaustive).
#
# **With 1M distractors:** run `python -m basic.tinyworld distractors --count 1000000` once. It renders and
# encodes in resumable shards (about 256 MB of float16 features). Then run this notebook with
# `-p count 1000000` (papermill) or set `count = 1_000_000` below. `runall.sh` uses the small cached default.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/
count = 16384             # random distractors (the first `count` of the generator's sequence); 1_000_000 for the full curve
distractors_dir = None    # or a features folder whose db_image rows are the distractors (e.g. for the icir profile)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from basic import notebook
from basic.config import preset
from basic.distractor_curve import crossing, curve, default_counts
from basic.features import Features
from basic.plots import record, save_figure, save_table

features = notebook.setup(profile, data_dir, backbone)
if distractors_dir is not None:
    distractors = Features.load(distractors_dir).db_image[:count]
else:   # the tiny world renders its own (cached: only what is missing is rendered and encoded)
    distractors = notebook.dataset(profile, data_dir).distractors(count, backbone)
if distractors is None:
    print(f"No random distractors for the {profile} profile: pass distractors_dir= (a features folder of, e.g., "
          "LAION image features from the same backbone) to draw the curve.")

# %%
configs = {"Text × Image": preset("product"), "BASIC": preset("basic")}
if distractors is not None:
    counts = default_counts(len(distractors))
    table = curve(features, distractors, counts, configs)
    save_table(table.assign(mmAP=100 * table.mmAP, mAP=100 * table.mAP, minmAP=100 * table.minmAP),
               "distractor_curve", figures_dir)
    print(f"{len(features.queries)} queries; {len(distractors):,} random distractors of dimension {distractors.shape[1]}")
    display(table.assign(mmAP=100 * table.mmAP).pivot(index="count", columns="method", values="mmAP").round(2))

# %%
if distractors is not None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    findings = []
    for (name, group), colour in zip(table.groupby("method", sort=False), ("tab:blue", "tab:red")):
        easy = group[group.setting == "random distractors"]
        level = 100 * group[group.setting == "hard negatives"].mmAP.iloc[0]
        ax.plot(easy["count"], 100 * easy.mmAP, "o-", color=colour, label=f"{name}: random distractors")
        ax.axhline(level, color=colour, ls="--", label=f"{name}: hard negatives, no distractors ({level:.1f})")
        meet = crossing(easy["count"], 100 * easy.mmAP, level)
        findings.append({"method": name, "hard-negative mmAP": level, **meet})
    ax.set_xscale("log")
    ax.set_xlabel("random distractors added to every instance's database (log scale)")
    ax.set_ylabel("mmAP (%)")
    ax.set_title(f"Hard negatives vs random distractors — {profile} profile")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, "distractor_curve", figures_dir)
    plt.show()
    findings = pd.DataFrame(findings)
    display(findings)

# %% [markdown]
# **Reading.** For each method the table above gives one of two answers. Either the number of random
# distractors at which the random-distractor curve meets the hard-negative line (`meets`, interpolated on the
# log axis between the two grid points around it), or, if the curve stays above the line, its slope per tenfold
# more distractors and the count where it would meet the line if the trend held (`extrapolated`). All of these
# are computed from the numbers above, never typed in. The count is not comparable with the paper's 40M: a tiny
# instance's database, hard negatives included, is far smaller than an i-CIR instance's, and the tiny world's
# distractors are drawn from its own small vocabulary of categories and conditions.

# %%
if distractors is not None:
    for r in findings.itertuples():
        if r.meets:
            print(f"{r.method}: meets its hard-negative level ({r._2:.2f} mmAP) at about {r.count:,.0f} random distractors ({r.note})")
        elif r.count is not None:
            print(f"{r.method}: stays above its hard-negative level up to {len(distractors):,}; falls {-r.per_decade:.2f} "
                  f"mmAP per tenfold, so it would meet it near {r.count:,.0f} ({r.note})")
        else:
            print(f"{r.method}: stays above its hard-negative level up to {len(distractors):,} and does not fall")
    record("12_distractor_curve",
           [{"quantity": f"{r.method}: random distractors to match the hard negatives", "ours": r.count}
            for r in findings.itertuples()] +
           [{"quantity": f"{m} mmAP with {len(distractors)} random distractors",
             "ours": 100 * table[(table.method == m) & (table["count"] == len(distractors))].mmAP.iloc[0]}
            for m in configs],
           figures_dir, profile)
