# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13 · Semantic-level vs instance-level CIR
#
# The paper's case for i-CIR is a contrast. Earlier composed-retrieval benchmarks judge at the **semantic
# level**: any object of the right *kind* under the asked condition is correct. i-CIR judges at the **instance
# level**: only the *same* object is. Table 1 of the paper therefore also scores BASIC on four semantic-level
# benchmarks (ImageNet-R, MiniDomainNet, NICO++, LTLL) with the protocol of FREEDOM (Efthymiadis et al.,
# WACV 2025; `basic.semantic`, `basic.freedom`):
#
# * a query is an image of a class in one domain plus a text naming another domain ("cartoon", "sketch");
# * one **global database** per dataset; positives are the images of the query's class in the asked domain;
# * the number reported is mAP per (source, target) domain pair, averaged over the pairs.
#
# Here both levels run on the **same images**: the tiny world scored once as i-CIR scores it (each query ranks
# its own instance's database, positives = that instance under the condition, mmAP) and once at category level
# (one global database, positives = *any* instance of the query's category under the condition; the labels say
# what each image shows, so another instance's "textual hard negative" becomes a positive). The same methods and
# the same BASIC ladder run on both, so the differences come from the level alone.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default; both levels), "tiny_semantic", a semantic dataset, or "icir"
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from basic import notebook, semantic
from basic.plots import record, save_figure, save_table

print(notebook.dataset(profile, data_dir).note)
level = semantic.levels(profile, data_dir, backbone)      # the profile's features at both levels, where it has them
if level["message"]:
    print(level["message"])
semantic.level_sizes(level).round(1)

# %% [markdown]
# ## The methods on both levels, beside the paper (Table 1)
# Ours: instance level in mmAP (i-CIR's headline), semantic level in FREEDOM's per-domain-pair mAP (on the
# tiny world there is one source "domain", the neutral query view, so it is the mean over the asked
# conditions), all in %. The paper's columns are its Table 1 as the official code's README lists it (i-CIR in
# mmAP, the four semantic datasets in mAP, CLIP ViT-L/14).

# %%
table = semantic.methods_table(level)
save_table(table, "table1_semantic_vs_instance", figures_dir, note=table.attrs["source"])
display(Markdown(semantic.baselines_statement(table)))
table.round(2)

# %% [markdown]
# ## The BASIC ladder on both levels (Table 2's steps)
# Components added one after another (C centering, M min-normalisation, H Harris fusion, X contextualisation,
# P contrastive projection, Q query expansion). The paper gives the ladder on i-CIR only (Table 2); its
# semantic-level ladder is not given, so that column is blank.

# %%
ladder = semantic.ladder_table(level)
save_table(ladder, "table2_semantic_vs_instance", figures_dir, note=ladder.attrs["source"])
display(Markdown(semantic.components_statement(ladder)))
ladder.round(2)

# %% [markdown]
# ## One figure
# Left: every method on both levels (ours), with the paper's i-CIR and semantic mean marked. Right: the
# ladder, each level relative to its own starting point (Text × Image), so that a component's effect reads as
# a slope.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
ax = axes[0]
x = np.arange(len(table))
w = 0.38
ax.bar(x - w / 2, table["ours: instance mmAP"].fillna(0), w, label="ours, instance level (mmAP)", color="tab:blue")
ax.bar(x + w / 2, table["ours: semantic mAP"].fillna(0), w, label="ours, semantic level (mAP)", color="tab:orange")
ax.plot(x - w / 2, table["paper: i-CIR mmAP"], "k_", ms=16, mew=2, label="paper, i-CIR (mmAP)")
ax.plot(x + w / 2, table["paper: semantic mean"], "r_", ms=16, mew=2, label="paper, mean of 4 semantic datasets (mAP)")
ax.set_xticks(x, [m.replace(" (no query expansion)", "") for m in table.method], rotation=25, ha="right")
ax.set_ylabel("%"); ax.set_ylim(0, 100)
ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2)
ax.set_title("methods on both levels")
ax = axes[1]
for col, style, label in (("ours: instance mmAP", "o-", "ours, instance level"),
                          ("ours: semantic mAP", "s-", "ours, semantic level"),
                          ("paper: i-CIR mmAP", "k^--", "paper, i-CIR")):
    if ladder[col].notna().all():
        ax.plot(ladder.letters, ladder[col] - ladder[col].iloc[0], style, label=label)
ax.axhline(0, color="grey", lw=0.8)
ax.set_xlabel("components on (cumulative)"); ax.set_ylabel("change from Text × Image (points)")
ax.set_title("the BASIC ladder, relative to its start"); ax.legend(fontsize=8)
fig.suptitle(f"Semantic-level vs instance-level CIR — {profile} profile")
fig.tight_layout()
save_figure(fig, "semantic_vs_instance", figures_dir)

# %% [markdown]
# ## Reading it
# Between the two levels only the labels change: the same queries, the same images, the same features. What
# a method gains or loses from one level to the other is therefore what the level asks for. At the semantic
# level any object of the category under the condition counts (many positives, one global database); at the
# instance level only the query's own object does, among look-alikes and same-category objects under the same
# condition (i-CIR's hard negatives). The sentences above, computed from the tables, say which methods and which
# components move most between the two.

# %%
rows = []
for r in table.itertuples(index=False):
    rows.append({"quantity": f"{r.method}, instance mmAP", "ours": r[1], "paper": r[3]})
    rows.append({"quantity": f"{r.method}, semantic mAP", "ours": r[2], "paper": r[-1]})
for r in ladder.itertuples(index=False):
    rows.append({"quantity": f"ladder {r.letters}, semantic mAP", "ours": r[3]})
record("13_semantic_vs_instance", rows, figures_dir, profile)
