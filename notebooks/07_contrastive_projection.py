# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Contrastive projection (P)
#
# The query *image* shows the instance, but also its style, lighting, background: everything the text asks
# to change. **P** keeps the directions that describe *objects* and drops those that describe *conditions*.
#
# From two text corpora embedded by the same model, centred: an object corpus A (S⁺ = AᵀA/(n−1)) and a
# style/condition corpus B (S⁻), build the contrastive matrix C = (1 − α)S⁺ − αS⁻. Its top eigenvectors (with
# positive eigenvalues) span what objects vary in and styles do not; P = V_k V_kᵀ projects the query image on
# them (`basic.equations.contrastive_matrix`, `contrastive_spectrum`, `contrastive_projection`). α weighs the
# negative corpus; k caps the number of components.
#
# "Positive" means above 1e-10 × the largest eigenvalue (`basic.equations.positive_count`): C has many
# eigenvalues that are zero in exact arithmetic, and `eigh` returns them as round-off of either sign, about
# 1e-16 × the largest; counting them as positive would let noise decide k.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/
alphas = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
component_counts = None   # None: powers of two up to the embedding dimension

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from basic import equations as eq
from basic import notebook, paper
from basic.config import Config, components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import evaluate, prepare, sweep
# (np, pd, eq, Config, components, evaluate, sweep and features: also what the "Try it" exercises use)

features = notebook.setup(profile, data_dir, backbone)
mu_text = prepare(features, components("C")).mean_text          # μ_T, as BASIC computes it once
pos = eq.center(eq.l2_normalize(features.corpus_pos), mu_text)
neg = eq.center(eq.l2_normalize(features.corpus_neg), mu_text)
print(f"object corpus: {len(pos)} texts, condition corpus: {len(neg)} texts, d = {features.dim}")

# %% [markdown]
# ## The spectrum
# Eigenvalues of C in decreasing order for a few α, on a symmetric-log axis (linear near zero, logarithmic
# beyond), so that large negative eigenvalues do not flatten the positive ones. With α = 0 none is negative
# beyond round-off (a covariance); as α grows, the condition directions turn negative and drop out, whatever k is.

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ranks, spectra = {}, {}
for alpha in (0.0, 0.2, 0.5):
    values, _ = eq.contrastive_spectrum(pos, neg, alpha)
    spectra[alpha], ranks[alpha] = values, eq.positive_count(values)
    ax.plot(np.arange(1, len(values) + 1), values, label=f"α = {alpha} ({ranks[alpha]} positive)")
top = max(v.max() for v in spectra.values())
ax.set_yscale("symlog", linthresh=1e-4 * top, linscale=1.5)
ax.axhline(0, color="grey", lw=1)
ax.set_xlabel("component (sorted by eigenvalue)"); ax.set_ylabel("eigenvalue of C (symmetric log)"); ax.legend(fontsize=8)
ax.set_title(f"Contrastive spectrum — {profile} profile")
save_figure(fig, "basic_P_spectrum", figures_dir)

# %% [markdown]
# ## α and the number of components
# Full BASIC (all components) with one parameter changed at a time; the default is α = 0.2, k = 250 (capped at
# the number of positive eigenvalues, `projection_rank`). k is on a log axis; the dotted lines mark the defaults
# (k = 250 lies beyond the tiny world's dimension).

# %%
d = features.dim
ks = component_counts or sorted({*[2 ** i for i in range(int(np.log2(d)) + 1)], d})
by_alpha = sweep(features, components("CMHXPQ"), "alpha", alphas)
by_k = sweep(features, components("CMHXPQ"), "components", ks)
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
sweep_plot(by_alpha, "alpha", "mmAP", ax=axes[0], xlabel="α")
axes[0].axvline(Config().alpha, color="grey", ls=":", lw=1)
sweep_plot(by_k, "components", "mmAP", ax=axes[1], xlabel="number of components k (log scale)")
axes[1].set_xscale("log", base=2)
if Config().components <= max(ks):
    axes[1].axvline(Config().components, color="grey", ls=":", lw=1)
fig.suptitle(f"BASIC: α and k — {profile} profile")
fig.tight_layout()
save_figure(fig, "basic_P_alpha_components", figures_dir)
steps = {k: 100 * evaluate(features, components(k)).mmAP for k in ("CMHX", "CMHXP")}
ladder = paper.table2().set_index("letters").paper_mmAP
display(Markdown(paper.change_statement("Adding the contrastive projection (CMHX → CMHXP)",
                                        (steps["CMHX"], steps["CMHXP"]), (ladder["CMHX"], ladder["CMHXP"]))))
record("07_contrastive_projection", [
    *[{"quantity": f"positive eigenvalues at alpha={a}", "ours": r} for a, r in ranks.items()],
    *[{"quantity": f"{k} mmAP", "ours": v, "paper": ladder[k]} for k, v in steps.items()],
    {"quantity": "best alpha", "ours": float(by_alpha.alpha[by_alpha.mmAP.idxmax()])},
    {"quantity": "best components", "ours": float(by_k.components[by_k.mmAP.idxmax()])}], figures_dir, profile)
print(by_alpha.set_index("alpha").mul(100).round(2).T.to_string(), "\n")
print(by_k.set_index("components").mul(100).round(2).T.to_string())

# %% [markdown]
# ## Try it
# Paste a block into a new cell at the end of this notebook (it uses `features` and the imports above). The
# measured answers are in `figures/solutions.md`, which `./runall.sh` writes.
#
# **1. Where do the condition directions drop out?** For α from 0 to 0.9, count the positive eigenvalues of C
# and evaluate full BASIC. Look for: the α at which the count falls, and whether mmAP follows it.
#
# ```python
# mu_text = eq.l2_normalize(features.corpus_pos).mean(axis=0)
# pos = eq.center(eq.l2_normalize(features.corpus_pos), mu_text)
# neg = eq.center(eq.l2_normalize(features.corpus_neg), mu_text)
# for alpha in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9):
#     values, _ = eq.contrastive_spectrum(pos, neg, alpha)
#     mmap = evaluate(features, components("CMHXPQ", alpha=alpha)).mmAP
#     print(f"α = {alpha:.1f}: {eq.positive_count(values):4d} positive eigenvalues, BASIC mmAP {100 * mmap:6.2f}")
# ```
#
# **2. Projection without query expansion.** The sweeps above include Q. Repeat the k sweep on C+M+H+X+P
# (no Q). Look for: whether the best k changes when Q is off.
#
# ```python
# ks = sorted({*[2 ** i for i in range(int(np.log2(features.dim)) + 1)], features.dim})
# for letters in ("CMHXP", "CMHXPQ"):
#     curve = sweep(features, components(letters), "components", ks)
#     best = curve.loc[curve.mmAP.idxmax()]
#     print(f"{letters:>6}: best k = {int(best.components)} (mmAP {100 * best.mmAP:.2f}), "
#           f"k = {features.dim}: {100 * curve.mmAP.iloc[-1]:.2f}")
# ```
