# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Contrastive projection (P)
#
# The query *image* shows the instance, but also its style, lighting, background: everything the text asks
# to change. **P** keeps the directions that describe *objects* and drops those that describe *conditions*.
#
# From two text corpora embedded by the same model, centred: an object corpus A (S⁺ = AᵀA/(n−1)) and a
# style/condition corpus B (S⁻), build the contrastive matrix C = (1 − α)S⁺ − αS⁻. Its top eigenvectors (with
# positive eigenvalues) span what objects vary in and styles do not; P = V_k V_kᵀ projects the query image on
# them (`basic.equations.contrastive_matrix`, `contrastive_spectrum`, `contrastive_projection`). α weighs the
# negative corpus; k caps the number of components.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = "../figures"
alphas = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
component_counts = None   # None: a range up to the embedding dimension

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from basic import equations as eq
from basic import profiles
from basic.config import components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import sweep

print(profiles.note(profile))
features = profiles.load_features(profile, data_dir, backbone)
mu_text = eq.l2_normalize(features.corpus_pos).mean(axis=0)
pos = eq.center(eq.l2_normalize(features.corpus_pos), mu_text)
neg = eq.center(eq.l2_normalize(features.corpus_neg), mu_text)
print(f"object corpus: {len(pos)} texts, condition corpus: {len(neg)} texts, d = {features.dim}")

# %% [markdown]
# ## The spectrum
# Eigenvalues of C in decreasing order for a few α. With α = 0 all are ≥ 0 (a covariance); as α grows, the
# condition directions turn negative and drop out, whatever k is.

# %%
fig, ax = plt.subplots(figsize=(6, 3.8))
ranks = {}
for alpha in (0.0, 0.2, 0.5):
    values, _ = eq.contrastive_spectrum(pos, neg, alpha)
    ranks[alpha] = int((values > 0).sum())
    ax.plot(values, label=f"α = {alpha} ({ranks[alpha]} positive)")
ax.axhline(0, color="grey", lw=1)
ax.set_xlabel("component"); ax.set_ylabel("eigenvalue of C"); ax.legend()
ax.set_title(f"Contrastive spectrum — {profile} profile")
save_figure(fig, "basic_P_spectrum", figures_dir)
plt.show()

# %% [markdown]
# ## α and the number of components
# Full BASIC (all components) with one parameter changed at a time; the default is α = 0.2, k = 250 (capped at
# the number of positive eigenvalues, `projection_rank`).

# %%
d = features.dim
ks = component_counts or sorted({max(1, int(round(d * f))) for f in (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)})
by_alpha = sweep(features, components("CMHXPQ"), "alpha", alphas)
by_k = sweep(features, components("CMHXPQ"), "components", ks)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
sweep_plot(by_alpha, "alpha", "mmAP", ax=axes[0], xlabel="α")
sweep_plot(by_k, "components", "mmAP", ax=axes[1], xlabel="number of components k")
fig.suptitle(f"BASIC: α and k — {profile} profile", y=1.02)
save_figure(fig, "basic_P_alpha_components", figures_dir)
plt.show()
record("06_contrastive_projection", [
    *[{"quantity": f"positive eigenvalues at alpha={a}", "ours": r} for a, r in ranks.items()],
    {"quantity": "best alpha", "ours": float(by_alpha.alpha[by_alpha.mmAP.idxmax()])},
    {"quantity": "best components", "ours": float(by_k.components[by_k.mmAP.idxmax()])}], figures_dir, profile)
print(by_alpha.set_index("alpha").mul(100).round(2).T.to_string(), "\n")
print(by_k.set_index("components").mul(100).round(2).T.to_string())
