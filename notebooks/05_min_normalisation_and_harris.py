# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Min-normalisation (M) and Harris fusion (H)
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
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/
lambdas = [0.0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2]   # λ = 1/4 is degenerate (only balance counts): reported apart

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from basic import equations as eq
from basic import notebook, paper
from basic.config import Config, components
from basic.plots import record, save_figure, sweep_plot
from basic.retrieval import evaluate, prepare, similarity_blocks, sweep
# (np, pd, eq, Config, components, evaluate, sweep and features: also what the "Try it" exercises use)

features = notebook.setup(profile, data_dir, backbone)

# %% [markdown]
# ## The minima on the synthetic set, beside the paper's
# Both minima are negative: after centering, "unrelated" means a negative similarity. The paper gives its
# minima for CLIP ViT-L/14 on its synthetic set, after centering.

# %%
shared = prepare(features, components("CM"))     # what BASIC computes once for C and M
s_v_min, s_t_min = shared.min_stats               # eq.min_similarities on the centred synthetic pairs
n_synthetic = len(shared.synthetic_image)
minima = pd.DataFrame({"ours": {"s_v,min": s_v_min, "s_t,min": s_t_min},
                       "paper (CLIP ViT-L/14)": {"s_v,min": paper.value("minima.s_v_min"),
                                                 "s_t,min": paper.value("minima.s_t_min")}})
p_v, p_t = minima.iloc[:, 1]
display(Markdown(
    f"**Paper vs here.** On {n_synthetic} synthetic pairs, s_v,min = {s_v_min:.3f} and s_t,min = {s_t_min:.3f}; the paper "
    f"reports {p_v:.3f} and {p_t:.3f}. Here the text minimum is "
    f"{'below' if s_t_min < s_v_min else 'above'} the image minimum, "
    f"{'as' if (s_t_min < s_v_min) == (p_t < p_v) else 'unlike'} in the paper; the sizes differ "
    f"(|s_v,min| is {abs(s_v_min) / abs(p_v):.1f}× the paper's): a different model and synthetic set."))
minima.round(3)

# %% [markdown]
# ## Where the positives and the hard negatives fall
# ŝ_v against ŝ_t after C and M for the queries of one instance: positives should sit towards the top right,
# visual hard negatives along the ŝ_v axis, textual ones along the ŝ_t axis.

# %%
from basic.icir import is_hard_negative

blocks = similarity_blocks(features, components("CMH"))
block = blocks[0]
hard = is_hard_negative(features.database.path.iloc[block.db_rows]).to_numpy()[None, :].repeat(len(block.query_rows), 0)
fig, ax = plt.subplots(figsize=(5, 4.5))
for mask, label, colour in ((~block.positives & ~hard, "other", "tab:grey"), (hard & ~block.positives, "hard negative", "tab:red"),
                            (block.positives, "positive", "tab:green")):
    ax.scatter(block.s_v[mask], block.s_t[mask], s=6, alpha=0.5, label=label, color=colour)
ax.set_xlabel("ŝ_v"); ax.set_ylabel("ŝ_t"); ax.legend(); ax.set_title(f"instance {block.instance}")
save_figure(fig, "basic_M_normalised_scores", figures_dir, pdf=False)

# %% [markdown]
# ## The fusion surface
# The score as a function of (ŝ_v, ŝ_t) for three values of λ, drawn over the range the normalised scores
# actually take on this profile (up to the largest ŝ over all instances). With λ = 0 (the product) the level
# sets are hyperbolas that reach far along the axes; with λ > 0 the top scores retreat to the diagonal, and a
# candidate strong in one modality only scores below 0 (white line: score 0). At λ = 1/4 the score is
# −(ŝ_t − ŝ_v)²/4: only balance counts; beyond it every score is ≤ 0.

# %%
top = max(float(max(b.s_v.max(), b.s_t.max())) for b in blocks)
grid = np.linspace(0, top, 121)
sv, stt = np.meshgrid(grid, grid)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, lam in zip(axes, (0.0, 0.1, 0.2)):
    z = eq.harris_fusion(stt, sv, lam)
    cs = ax.contourf(sv, stt, z, levels=20, cmap="viridis")
    if z.min() < 0 < z.max():
        ax.contour(sv, stt, z, levels=[0], colors="white", linewidths=1.5)
    ax.set_title(f"λ = {lam}"); ax.set_xlabel("ŝ_v (image)")
    fig.colorbar(cs, ax=ax)
axes[0].set_ylabel("ŝ_t (text)")
fig.suptitle(f"Harris fusion ŝ_t·ŝ_v − λ(ŝ_t+ŝ_v)² over the scores' range [0, {top:.2f}] — {profile} profile")
fig.tight_layout()
save_figure(fig, "basic_H_fusion_surface", figures_dir)

# %% [markdown]
# ## The effect of M, H and λ
# `sweep` over `harris_lambda` reuses the similarities; λ = 0 is the plain product of normalised scores. The
# paper's default is λ = 0.1 (dotted line).

# %%
steps = pd.DataFrame({name: {k: 100 * v for k, v in evaluate(features, components(name)).summary().items()}
                      for name in ("C", "CM", "CMH")}).T
curve = sweep(features, components("CMH"), "harris_lambda", lambdas)
fig, ax = plt.subplots(figsize=(5.5, 3.6))
sweep_plot(curve, "harris_lambda", ["mmAP", "minmAP"], ax=ax, xlabel="λ")
ax.axvline(Config().harris_lambda, color="grey", ls=":", lw=1)
ax.set_title(f"C+M+H: the effect of λ — {profile} profile"); ax.legend(fontsize=8)
save_figure(fig, "basic_H_lambda", figures_dir)
ladder = paper.table2().set_index("letters").paper_mmAP
degenerate = 100 * evaluate(features, components("CMH", harris_lambda=0.25)).mmAP
display(Markdown(f"At λ = 1/4 (not plotted, it would flatten the curves) mmAP is {degenerate:.2f}: the score "
                 "−(ŝ_t − ŝ_v)²/4 rewards balance only, not strength."))
display(Markdown(paper.change_statement("Adding min-normalisation (C → CM)", (steps.mmAP["C"], steps.mmAP["CM"]),
                                        (ladder["C"], ladder["CM"]))
                 + "\n\n" + paper.change_statement("Adding Harris fusion (CM → CMH)",
                                                    (steps.mmAP["CM"], steps.mmAP["CMH"]),
                                                    (ladder["CM"], ladder["CMH"]))))
best_lambda = float(curve.harris_lambda[curve.mmAP.idxmax()])
record("05_min_normalisation_and_harris", [
    {"quantity": "s_v,min", "ours": s_v_min, "paper": p_v}, {"quantity": "s_t,min", "ours": s_t_min, "paper": p_t},
    *[{"quantity": f"{k} mmAP", "ours": v, "paper": ladder[k]} for k, v in steps.mmAP.items()],
    {"quantity": "best lambda (CMH)", "ours": best_lambda}], figures_dir, profile)
steps.round(2)

# %% [markdown]
# ## Try it
# Paste a block into a new cell at the end of this notebook (it uses `features` and the imports above). The
# measured answers are in `figures/solutions.md`, which `./runall.sh` writes.
#
# **1. Scale the text score by the text minimum.** The reference divides both scores by |s_v,min|; the paper
# writes |s_t,min| for the text score. Switch `text_scale="image_min"` to `"text_min"` (preset `basic-paper`)
# in C+M+H and in full BASIC. Look for: how much the choice matters, and which way.
#
# ```python
# for letters in ("CMH", "CMHXPQ"):
#     a = evaluate(features, components(letters, text_scale="image_min")).mmAP
#     b = evaluate(features, components(letters, text_scale="text_min")).mmAP
#     print(f"{letters:>6}: image_min {100 * a:6.2f}   text_min {100 * b:6.2f}   change {100 * (b - a):+.2f}")
# ```
#
# **2. A finer λ.** Sweep λ from 0 to 0.25 in steps of 0.01 on full BASIC. Look for: where the best λ lies, and
# how flat the curve is around the default 0.1.
#
# ```python
# fine = sweep(features, components("CMHXPQ"), "harris_lambda", [round(0.01 * i, 2) for i in range(26)])
# best = fine.loc[fine.mmAP.idxmax()]
# at_default = float(fine.mmAP[fine.harris_lambda == 0.1].iloc[0])
# print(f"best λ = {best.harris_lambda:.2f} (mmAP {100 * best.mmAP:.2f}); at λ = 0.1: {100 * at_default:.2f}; "
#       f"range over λ: {100 * (fine.mmAP.max() - fine.mmAP.min()):.2f} points")
# ```
