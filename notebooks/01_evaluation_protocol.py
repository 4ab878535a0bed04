# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The evaluation protocol: AP by hand, the trapezoidal AP, mAP vs mmAP vs minmAP
#
# Every number in these notebooks is an average precision (AP) averaged in some way. This notebook builds
# the metric from a toy ranking up, with the functions the evaluation itself uses (`basic.metrics`), and ends
# on the tiny world's numbers.
#
# The i-CIR protocol (the reference code's):
#
# 1. each composed query ranks **only its own instance's database**, by descending score;
# 2. a database item is a **positive** when it shows the query's instance *and* the query's text;
# 3. AP is computed per query, from the ranks of its positives alone;
# 4. the per-query APs are averaged: over queries (**mAP**), over instances of each instance's mean
#    (**mmAP**, the paper's headline) or of each instance's worst query (**minmAP**).

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir": the last section evaluates its features
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from basic import metrics, notebook
from basic.plots import record, save_figure

# %% [markdown]
# ## AP by hand on a toy ranking
# Ten database items, sorted by score; the positives sit at ranks 1, 3 and 6 (1-based). Walk down the list:
# every time a positive appears, write down the **precision** so far (positives seen / items seen). The
# standard AP is the mean of those precisions: the area under the precision–recall curve drawn as steps.

# %%
relevant = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0], dtype=bool)      # in rank order
ranks_1based = np.flatnonzero(relevant) + 1
precisions = np.arange(1, len(ranks_1based) + 1) / ranks_1based
by_hand = precisions.mean()
steps = pd.DataFrame({"rank": ranks_1based, "positives so far": np.arange(1, len(ranks_1based) + 1),
                      "precision": precisions.round(4), "recall": (np.arange(1, len(ranks_1based) + 1) / relevant.sum()).round(4)})
display(steps)
print("standard AP by hand: mean(" + ", ".join(f"{p:.3f}" for p in precisions) + f") = {by_hand:.4f}")

# %% [markdown]
# The same with `basic.metrics`: `positive_ranks` finds the 0-based ranks of the positives from scores (ties
# broken by database order), and `average_precision_standard` averages the precisions.

# %%
scores = np.linspace(1, 0, len(relevant))[None, :]                  # descending: item i is ranked i-th
ranks = metrics.positive_ranks(scores, relevant[None, :])
standard = float(metrics.average_precision_standard(ranks)[0])
print("0-based ranks of the positives:", ranks[0].tolist())
print(f"metrics.average_precision_standard: {standard:.4f}  (by hand: {by_hand:.4f})")
assert abs(standard - by_hand) < 1e-12

# %% [markdown]
# ## The trapezoidal AP (the reference's, and so ours)
# The official i-CIR code integrates the precision–recall curve with the **trapezoidal rule**: for the j-th
# positive (0-based) at 0-based rank r, the precision just before it, j / r (1 when r = 0), and just at it,
# (j + 1)/(r + 1), are averaged, and each such step has width 1/n_pos (the code divides by n_pos + 1e-5).
# The precision just before a positive is never higher than at it (j/r ≤ (j+1)/(r+1) since j ≤ r), so the
# trapezoidal AP is never above the standard one: it also averages in the lower precision just before each
# positive, and gives a positive at rank 1 full credit. Every AP in these notebooks is the trapezoidal one, as in
# the paper's tables; `evaluate(..., ap="standard")` gives the other.

# %%
r = ranks[0].astype(float)
j = np.arange(len(r))
before = np.where(r == 0, 1.0, j / np.maximum(r, 1))
at = (j + 1) / (r + 1)
trapezoid_by_hand = ((before + at) / 2).sum() / (len(r) + 1e-5)
trapezoid = float(metrics.average_precision_trapezoid(ranks)[0])
display(pd.DataFrame({"0-based rank r": r.astype(int), "precision before (j/r)": before.round(4),
                      "precision at ((j+1)/(r+1))": at.round(4), "trapezoid": ((before + at) / 2).round(4)}))
print(f"trapezoidal AP by hand: {trapezoid_by_hand:.4f}; metrics.average_precision_trapezoid: {trapezoid:.4f}; "
      f"standard AP: {standard:.4f}")
assert abs(trapezoid - trapezoid_by_hand) < 1e-12

# %%
recall = np.arange(0, len(r) + 1) / len(r)
fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.step(recall[1:], at, where="pre", color="tab:blue", label=f"standard AP = {standard:.3f} (steps)")
for k in range(len(r)):
    ax.fill([recall[k], recall[k + 1], recall[k + 1], recall[k]], [0, 0, at[k], before[k]],
            color="tab:orange", alpha=0.3, label=f"trapezoidal AP = {trapezoid:.3f}" if k == 0 else None)
ax.plot(recall[1:], at, "o", color="tab:blue")
ax.set_xlabel("recall"); ax.set_ylabel("precision"); ax.set_ylim(0, 1.05); ax.set_xlim(0, 1.02)
ax.set_title("AP of the toy ranking (positives at ranks 1, 3, 6)")
ax.legend(loc="lower left", fontsize=8)
save_figure(fig, "protocol_ap_toy_ranking", figures_dir)

# %% [markdown]
# ## mAP, mmAP and minmAP
# A toy benchmark: instance A has ten queries, all easy (AP 0.9); instance B has one query, hard (AP 0.1).
#
# * **mAP**, the mean over queries, is dominated by A: it counts A ten times.
# * **mmAP**, the mean over instances of each instance's mean AP, counts each instance once.
# * **minmAP**, the mean over instances of each instance's *worst* query, asks whether every query of an
#   instance works.

# %%
toy_ap = np.array([0.9] * 10 + [0.1])
toy_instance = ["A"] * 10 + ["B"]
toy = metrics.summarize(toy_ap, toy_instance)
display(pd.Series(toy, name="toy benchmark").round(4).to_frame())
print(f"mAP = (10·0.9 + 0.1)/11 = {(10 * 0.9 + 0.1) / 11:.4f};  mmAP = (0.9 + 0.1)/2 = {(0.9 + 0.1) / 2:.4f};  "
      f"minmAP = (min A + min B)/2 = {(0.9 + 0.1) / 2:.4f}")

# %% [markdown]
# ## Why mmAP is the headline
# i-CIR's instances have very different numbers of queries: 1 to 46 image queries and 1 to 5 texts each, so an
# instance contributes from one to over a hundred composed queries. With mAP, the few instances with many
# queries would decide the score; mmAP gives every *instance* the same weight, which is what "instance-level"
# retrieval asks. Here is the same spread on this profile, and the three averages for two methods.

# %%
from basic.retrieval import evaluate

features = notebook.setup(profile, data_dir, backbone)
per_instance = features.queries.groupby("instance").size()
rows = {}
for name, preset in (("Text × Image", "product"), ("BASIC", "basic")):
    trap = evaluate(features, preset)
    std = evaluate(features, preset, ap="standard")
    rows[name] = {**{k: 100 * v for k, v in trap.summary().items()}, "mmAP (standard AP)": 100 * std.mmAP}
table = pd.DataFrame(rows).T

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
counts = per_instance.value_counts().sort_index()
axes[0].bar(counts.index, counts.values, width=0.8, color="tab:blue")
axes[0].set_xlabel("composed queries per instance"); axes[0].set_ylabel("instances")
axes[0].set_title(f"queries per instance: {per_instance.min()} to {per_instance.max()}")
table[["mAP", "mmAP", "minmAP"]].plot.bar(ax=axes[1], rot=0, width=0.7)
axes[1].set_ylabel("%"); axes[1].set_title("three averages of the same per-query APs")
axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
fig.suptitle(f"mAP vs mmAP vs minmAP — {profile} profile")
fig.tight_layout()
save_figure(fig, "protocol_map_mmap_minmap", figures_dir)
table.round(2)

# %%
b, p = table.loc["BASIC"], table.loc["Text × Image"]
gap = b.mmAP - b.minmAP
display(Markdown(
    f"On this profile, BASIC's mmAP is {b.mmAP:.2f} and its minmAP {b.minmAP:.2f}: the worst query of an instance "
    f"is on average {gap:.2f} points below the instance's mean. mAP ({b.mAP:.2f}) "
    f"{'exceeds' if b.mAP > b.mmAP else 'is below'} mmAP, so the instances with many queries are "
    f"{'easier' if b.mAP > b.mmAP else 'harder'} than the average instance. The standard AP would give BASIC "
    f"{b['mmAP (standard AP)']:.2f} mmAP instead of {b.mmAP:.2f} (trapezoidal), "
    f"{abs(b.mmAP - b['mmAP (standard AP)']):.2f} points apart, and Text × Image "
    f"{p['mmAP (standard AP)']:.2f} instead of {p.mmAP:.2f}. "
    + ("The two forms differ by a visible amount here, so numbers compare only within one form. "
       if max(abs(b.mmAP - b['mmAP (standard AP)']), abs(p.mmAP - p['mmAP (standard AP)'])) >= 0.5 else
       "The two forms nearly agree here, but numbers still compare only within one form. ")
    + "The paper's tables use the trapezoidal AP of its code, as every table of this companion does."))
record("01_evaluation_protocol", [
    {"quantity": "toy standard AP", "ours": standard}, {"quantity": "toy trapezoidal AP", "ours": trapezoid},
    *[{"quantity": f"{m} {k}", "ours": v} for m, row in table.iterrows() for k, v in row.items()]],
    figures_dir, profile)
