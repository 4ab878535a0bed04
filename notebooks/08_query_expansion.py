# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Query expansion (Q)
#
# A single query image is one view of the instance. **Q** borrows more views from the database itself: take
# the K nearest database images of the projected query, average them with the query (weights softmax(β·s), the
# query itself with similarity 1), and project again (`basic.equations.top_neighbours`, `expansion_weights`,
# `expanded_query`). Defaults: K = 25, β = 0.1, close to a plain average.
#
# Query expansion helps when the top neighbours are right. On i-CIR the paper reports that it **hurts** BASIC
# (Table 2, below): the nearest images of an instance include its visual hard negatives.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/
expansion_ks = [1, 2, 5, 10, 25, 50]

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from basic import equations as eq
from basic import notebook, paper
from basic.config import Config, components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import evaluate, sweep
# (np, pd, eq, Config, components, evaluate, sweep and features: also what the "Try it" exercises use)

features = notebook.setup(profile, data_dir, backbone)

# %%
without, with_q = evaluate(features, components("CMHXP")), evaluate(features, components("CMHXPQ"))
ladder = paper.table2().set_index("letters").paper_mmAP
table = pd.DataFrame({"without Q (CMHXP)": without.summary(), "with Q (CMHXPQ)": with_q.summary()}).T * 100
table["paper i-CIR mmAP" + ("" if notebook.dataset(profile).paper_comparable else " (not comparable)")] = [ladder["CMHXP"], ladder["CMHXPQ"]]
display(Markdown(paper.change_statement("Adding query expansion (CMHXP → CMHXPQ)",
                                        (table.mmAP.iloc[0], table.mmAP.iloc[1]), (ladder["CMHXP"], ladder["CMHXPQ"]))))
table.round(2)

# %% [markdown]
# ## Which queries gain, which lose
# Change of AP per query when Q is switched on, and mmAP against the number of neighbours K (log axis; the
# dotted line is the default K = 25, the dashed one BASIC without Q).

# %%
delta = 100 * (with_q.ap - without.ap)
smallest = int(features.database.instance.value_counts().min())     # K cannot exceed a database
curve = sweep(features, components("CMHXPQ"), "expansion_k", [k for k in expansion_ks if k <= smallest])
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
axes[0].hist(delta, bins=40, color="tab:purple")
axes[0].axvline(0, color="black", lw=1)
axes[0].set_xlabel("AP(with Q) − AP(without Q), points"); axes[0].set_ylabel("queries")
sweep_plot(curve, "expansion_k", "mmAP", ax=axes[1], xlabel="neighbours K (log scale)")
axes[1].set_xscale("log")
axes[1].axhline(100 * without.mmAP, color="grey", ls="--", label="without Q")
axes[1].axvline(Config().expansion_k, color="grey", ls=":", lw=1)
axes[1].legend(fontsize=8)
fig.suptitle(f"Query expansion — {profile} profile")
fig.tight_layout()
save_figure(fig, "basic_Q_expansion", figures_dir)
print(f"Q helps {int((delta > 0).sum())} queries, hurts {int((delta < 0).sum())}, leaves {int((delta == 0).sum())}")
record("08_query_expansion", [
    {"quantity": "BASIC without QE mmAP", "ours": table.iloc[0].mmAP, "paper": ladder["CMHXP"]},
    {"quantity": "BASIC mmAP", "ours": table.iloc[1].mmAP, "paper": ladder["CMHXPQ"]},
    {"quantity": "best expansion K", "ours": float(curve.expansion_k[curve.mmAP.idxmax()])}], figures_dir, profile)

# %% [markdown]
# ## Try it
# Paste a block into a new cell at the end of this notebook (it uses `features` and the imports above). The
# measured answers are in `figures/solutions.md`, which `./runall.sh` writes.
#
# **1. How many neighbours?** Evaluate full BASIC with K = 1, 3, 10, 25 and compare with BASIC without Q. Look
# for: whether any K makes Q help on this profile.
#
# ```python
# base = 100 * evaluate(features, components("CMHXP")).mmAP
# smallest = int(features.database.instance.value_counts().min())
# for k in [k for k in (1, 3, 10, 25) if k <= smallest]:
#     mmap = 100 * evaluate(features, components("CMHXPQ", expansion_k=k)).mmAP
#     print(f"K = {k:>2}: mmAP {mmap:6.2f} ({mmap - base:+.2f} against no Q)")
# ```
#
# **2. Sharper weights.** β = 0.1 makes the neighbour weights nearly uniform. Try β = 1, 10 and 50 (the
# neighbours closest to the query then dominate). Look for: whether trusting the nearest neighbours more helps.
#
# ```python
# for beta in (0.1, 1.0, 10.0, 50.0):
#     mmap = 100 * evaluate(features, components("CMHXPQ", expansion_beta=beta)).mmAP
#     print(f"β = {beta:>4}: mmAP {mmap:6.2f}")
# ```
