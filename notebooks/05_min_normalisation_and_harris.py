# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Min-normalisation (M) and Harris fusion (H)
#
# After centering, s_v and s_t still live on different scales, and a product of two scores does not care which
# factor is large. Two components fix that.
#
# **M, min-normalisation.** On a small synthetic image–text set, take the smallest image–image similarity
# s_v,min and the smallest text–image similarity s_t,min: what "unrelated" looks like in each modality. Then
# ŝ = (s − s_min)/|s_v,min| maps "unrelated" to 0 for both (`basic.equations.min_similarities`, `min_normalize`),
# and negatives are clamped to 0 (`rectify`).
#
# **H, Harris fusion.** Instead of the product ŝ_t·ŝ_v, BASIC ranks by
#   s = ŝ_t·ŝ_v − λ(ŝ_t + ŝ_v)²  (`basic.equations.harris_fusion`),
# the Harris corner response det(M) − λ·trace(M)² of M = diag(ŝ_v, ŝ_t): large only when *both* are large, and
# penalising candidates that are strong in one modality only: exactly the visual and textual hard negatives.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = "../figures"
lambdas = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25]

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from basic import equations as eq
from basic import profiles
from basic.config import components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import evaluate, similarity_blocks, sweep

print(profiles.note(profile))
features = profiles.load_features(profile, data_dir, backbone)

# %% [markdown]
# ## The minima on the synthetic set

# %%
mu_image = features.image_mean.astype(np.float32)
mu_text = eq.l2_normalize(features.corpus_pos).mean(axis=0)
si = eq.center(eq.l2_normalize(features.synthetic_image), mu_image)
st = eq.center(eq.l2_normalize(features.synthetic_text), mu_text)
s_v_min, s_t_min = eq.min_similarities(si, st)
print(f"{len(si)} synthetic pairs: s_v,min = {s_v_min:.3f}, s_t,min = {s_t_min:.3f}")

# %% [markdown]
# ## The fusion surface
# The score as a function of (ŝ_v, ŝ_t) for three values of λ. With λ = 0 (the product) the level sets are
# hyperbolas that reach far along the axes; with λ > 0 the top scores retreat to the diagonal, and a candidate
# strong in one modality only scores below 0. (At λ = 1/4 the score is −(ŝ_t − ŝ_v)²/4: only balance counts; beyond it every score is ≤ 0.)

# %%
grid = np.linspace(0, 1, 101)
sv, stt = np.meshgrid(grid, grid)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, lam in zip(axes, (0.0, 0.1, 0.2)):
    z = eq.harris_fusion(stt, sv, lam)
    cs = ax.contourf(sv, stt, z, levels=20, cmap="viridis")
    ax.contour(sv, stt, z, levels=[0], colors="white", linewidths=1.5)
    ax.set_title(f"λ = {lam}"); ax.set_xlabel("ŝ_v (image)")
    fig.colorbar(cs, ax=ax)
axes[0].set_ylabel("ŝ_t (text)")
fig.suptitle("Harris fusion ŝ_t·ŝ_v − λ(ŝ_t+ŝ_v)² (white: score 0)", y=1.02)
save_figure(fig, "basic_H_fusion_surface", figures_dir)
plt.show()

# %% [markdown]
# ## Where the positives and the hard negatives fall
# ŝ_v against ŝ_t after C and M for the queries of one instance: positives should sit towards the top right.

# %%
from basic.icir import is_hard_negative

block = similarity_blocks(features, components("CMH"))[0]
hard = is_hard_negative(features.database.path.iloc[block.db_rows]).to_numpy()[None, :].repeat(len(block.query_rows), 0)
fig, ax = plt.subplots(figsize=(5, 4.5))
for mask, label, colour in ((~block.positives & ~hard, "other", "tab:grey"), (hard & ~block.positives, "hard negative", "tab:red"),
                            (block.positives, "positive", "tab:green")):
    ax.scatter(block.s_v[mask], block.s_t[mask], s=6, alpha=0.5, label=label, color=colour)
ax.set_xlabel("ŝ_v"); ax.set_ylabel("ŝ_t"); ax.legend(); ax.set_title(f"instance {block.instance}")
save_figure(fig, "basic_M_normalised_scores", figures_dir, pdf=False)
plt.show()

# %% [markdown]
# ## The effect of M, H and λ
# `sweep` over `harris_lambda` reuses the similarities; λ = 0 is the plain product of normalised scores.

# %%
steps = pd.DataFrame({name: {k: 100 * v for k, v in evaluate(features, components(name)).summary().items()}
                      for name in ("C", "CM", "CMH")}).T
curve = sweep(features, components("CMH"), "harris_lambda", lambdas)
fig, ax = plt.subplots(figsize=(5, 3.5))
sweep_plot(curve, "harris_lambda", ["mmAP", "mAP"], ax=ax, xlabel="λ")
ax.set_title(f"C+M+H: the effect of λ — {profile} profile"); ax.legend()
save_figure(fig, "basic_H_lambda", figures_dir)
plt.show()
record("04_min_normalisation_and_harris", [
    {"quantity": "s_v,min", "ours": s_v_min}, {"quantity": "s_t,min", "ours": s_t_min},
    *[{"quantity": f"{k} mmAP", "ours": v} for k, v in steps.mmAP.items()],
    {"quantity": "best lambda (CMH)", "ours": float(curve.harris_lambda[curve.mmAP.idxmax()])}], figures_dir, profile)
steps.round(2)
