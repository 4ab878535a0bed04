# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Query expansion (Q)
#
# A single query image is one view of the instance. **Q** borrows more views from the database itself: take
# the K nearest database images of the projected query, average them with the query (weights softmax(β·s), the
# query itself with similarity 1), and project again (`basic.equations.top_neighbours`, `expansion_weights`,
# `expanded_query`). Defaults: K = 25, β = 0.1, close to a plain average.
#
# Query expansion helps when the top neighbours are right. On i-CIR the paper reports that it **hurts**
# BASIC (31.64 with Q, 34.35 without): the nearest images of an instance include its visual hard negatives.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = "../figures"
expansion_ks = [1, 2, 5, 10, 25, 50]

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from basic import profiles
from basic.config import components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import evaluate, sweep

print(profiles.note(profile))
features = profiles.load_features(profile, data_dir, backbone)

# %%
without, with_q = evaluate(features, components("CMHXP")), evaluate(features, components("CMHXPQ"))
paper = profiles.PAPER_RESULTS.set_index("preset").paper_mmAP
table = pd.DataFrame({"without Q (CMHXP)": without.summary(), "with Q (CMHXPQ)": with_q.summary()}).T * 100
table["paper i-CIR mmAP"] = [paper["ablation-CMHXP"], paper["basic"]]
if profile != "icir":
    table = table.rename(columns={"paper i-CIR mmAP": "paper i-CIR mmAP (not comparable)"})
table.round(2)

# %% [markdown]
# ## Which queries gain, which lose
# Change of AP per query when Q is switched on, and mmAP against the number of neighbours K.

# %%
delta = 100 * (with_q.ap - without.ap)
smallest = int(features.database.instance.value_counts().min())     # K cannot exceed a database
curve = sweep(features, components("CMHXPQ"), "expansion_k", [k for k in expansion_ks if k <= smallest])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].hist(delta, bins=40, color="tab:purple")
axes[0].axvline(0, color="black", lw=1)
axes[0].set_xlabel("AP(with Q) − AP(without Q), points"); axes[0].set_ylabel("queries")
sweep_plot(curve, "expansion_k", "mmAP", ax=axes[1], xlabel="neighbours K")
axes[1].axhline(100 * without.mmAP, color="grey", ls="--", label="without Q"); axes[1].legend()
fig.suptitle(f"Query expansion — {profile} profile", y=1.02)
save_figure(fig, "basic_Q_expansion", figures_dir)
plt.show()
print(f"Q helps {int((delta > 0).sum())} queries, hurts {int((delta < 0).sum())}, leaves {int((delta == 0).sum())}")
record("07_query_expansion", [
    {"quantity": "BASIC without QE mmAP", "ours": table.iloc[0].mmAP, "paper": paper["ablation-CMHXP"]},
    {"quantity": "BASIC mmAP", "ours": table.iloc[1].mmAP, "paper": paper["basic"]},
    {"quantity": "best expansion K", "ours": float(curve.expansion_k[curve.mmAP.idxmax()])}], figures_dir, profile)
