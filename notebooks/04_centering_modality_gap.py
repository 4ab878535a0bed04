# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Centering (C) and the modality gap
#
# In CLIP-like models, image embeddings and text embeddings occupy two narrow cones that do not overlap: the
# **modality gap**. Every image is similar to every other image (cosine ≈ 0.5 and more), every text–image cosine is
# small. A large shared component says nothing about *which* image this is, and it drowns the part that does.
#
# BASIC's first step subtracts a mean from each side (`basic.equations.center`):
# images lose the mean image embedding μ_I (the paper: of LAION-1M; here `features.image_mean`) and texts lose
# μ_T, the mean of the object corpus. Nothing is renormalised afterwards. This notebook measures the gap and what
# centering does to the similarities and to retrieval.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from basic import equations as eq
from basic import notebook, paper
from basic.config import Config, components
from basic.plots import record, save_figure
from basic.retrieval import evaluate, group_by_instance, prepare, sweep
# (np, pd, eq, Config, components, evaluate, sweep and features: also what the "Try it" exercises use)

features = notebook.setup(profile, data_dir, backbone)

shared = prepare(features, components("C"))      # what BASIC computes once for C: the two means
mu_image, mu_text = shared.mean_image, shared.mean_text
print(f"|μ_I| = {np.linalg.norm(mu_image):.3f}, |μ_T| = {np.linalg.norm(mu_text):.3f}, "
      f"cos(μ_I, μ_T) = {mu_image @ mu_text / np.linalg.norm(mu_image) / np.linalg.norm(mu_text):.3f}")

# %% [markdown]
# ## The similarities, before and after centering
# For every query against its own database: image→image (s_v) and text→image (s_t), raw and centred.

# %%
raw = {"s_v": [], "s_t": []}
cen = {"s_v": [], "s_t": []}
for name, q_rows, d_rows in group_by_instance(features):
    x = eq.l2_normalize(features.db_image[d_rows])
    v, t = eq.l2_normalize(features.query_image[q_rows]), eq.l2_normalize(features.query_text[q_rows])
    raw["s_v"].append((v @ x.T).ravel()); raw["s_t"].append((t @ x.T).ravel())
    xc = eq.center(x, mu_image)
    cen["s_v"].append((eq.center(v, mu_image) @ xc.T).ravel()); cen["s_t"].append((eq.center(t, mu_text) @ xc.T).ravel())
raw = {k: np.concatenate(v) for k, v in raw.items()}
cen = {k: np.concatenate(v) for k, v in cen.items()}

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for ax, sims, title in ((axes[0], raw, "raw cosine"), (axes[1], cen, "after centering (C)")):
    ax.hist(sims["s_v"], bins=60, alpha=0.6, density=True, label="image → database (s_v)")
    ax.hist(sims["s_t"], bins=60, alpha=0.6, density=True, label="text → database (s_t)")
    ax.set_title(title); ax.set_xlabel("similarity"); ax.legend(fontsize=8)
fig.suptitle(f"The modality gap and centering — {profile} profile")
fig.tight_layout()
save_figure(fig, "basic_C_modality_gap", figures_dir)

pd.DataFrame({"raw": {k: v.mean() for k, v in raw.items()}, "centred": {k: v.mean() for k, v in cen.items()}}).rename_axis("mean of").round(3)

# %% [markdown]
# ## The gap itself
# The modality gap is usually measured as the distance between the centroid of the image embeddings and the
# centroid of the text embeddings (unit vectors). *If* μ_I describes the benchmark's images and μ_T its texts,
# centering moves both centroids near the origin and the gap closes: the two similarities then compare the
# directions that vary, not the constant offset between the modalities. But the means come from *other* data
# (LAION-1M images, an object corpus), so whether they fit this benchmark is an empirical question, and the
# table answers it: a centroid whose norm shrinks was described well by its mean; one that grows was not.

# %%
rows = np.linspace(0, len(features.db_image) - 1, min(len(features.db_image), 20000)).astype(int)  # a sample on i-CIR
images, texts = eq.l2_normalize(features.db_image[rows]), eq.l2_normalize(features.query_text)
centroids = {"raw": (images.mean(0), texts.mean(0)),
             "centred (C)": (eq.center(images, mu_image).mean(0), eq.center(texts, mu_text).mean(0))}
table = pd.DataFrame({k: {"‖image centroid‖": np.linalg.norm(i), "‖text centroid‖": np.linalg.norm(t),
                          "gap ‖image centroid − text centroid‖": np.linalg.norm(i - t)} for k, (i, t) in centroids.items()})
gap = table.loc["gap ‖image centroid − text centroid‖"]
norms = table.loc[["‖image centroid‖", "‖text centroid‖"]]
(i0, i1), (t0, t1) = norms.iloc[0], norms.iloc[1]
display(Markdown(
    f"Here the image centroid's norm {'shrinks' if i1 < i0 else 'grows'} from {i0:.3f} to {i1:.3f} "
    f"(μ_I {'fits' if i1 < i0 else 'does not fit'} these images) and the text centroid's "
    f"{'shrinks' if t1 < t0 else 'grows'} from {t0:.3f} to {t1:.3f} "
    f"(μ_T {'fits' if t1 < t0 else 'does not fit'} these query texts), and the gap between the two centroids "
    f"{'closes' if gap['centred (C)'] < gap['raw'] else 'grows'}: {gap['raw']:.3f} → {gap['centred (C)']:.3f}."))
table.round(3)

# %% [markdown]
# ## What centering does to retrieval
# The plain product (no component) against the product on centred features (C), and the variant that centres
# images with each instance's own database mean instead of the global image mean (the reference code's
# fallback). When the global mean does not fit the benchmark's images, the database mean does better.

# %%
rows = {"product, no component": components(""), "C (image mean)": components("C"),
        "C (database mean)": components("C", center_images_with="database")}
result = pd.DataFrame({name: {k: 100 * v for k, v in evaluate(features, cfg).summary().items()}
                       for name, cfg in rows.items()}).T
ladder = paper.table2().set_index("letters").paper_mmAP
db_better = result.mmAP["C (database mean)"] > result.mmAP["C (image mean)"]
display(Markdown(paper.change_statement("Adding centering (C) to the plain product",
                                        tuple(result.mmAP.iloc[:2]), (ladder[""], ladder["C"]))
                 + f" Centring the images with each instance's database mean gives {result.mmAP['C (database mean)']:.2f}, "
                 + ("better than the global image mean here." if db_better else "no better than the global image mean here.")))
record("04_centering_modality_gap", [
    {"quantity": "modality gap (centroid distance) raw", "ours": float(gap["raw"])},
    {"quantity": "modality gap (centroid distance) centred", "ours": float(gap["centred (C)"])},
    *[{"quantity": f"{k} mmAP", "ours": v, "paper": {"product, no component": ladder[""], "C (image mean)": ladder["C"]}.get(k)}
      for k, v in result.mmAP.items()]], figures_dir, profile)
result.round(2)

# %% [markdown]
# ## Try it
# Paste a block into a new cell at the end of this notebook (it uses `features` and the imports above). The
# measured answers are in `figures/solutions.md`, which `./runall.sh` writes.
#
# **1. Centre the images with each instance's database mean.** Change `center_images_with="image_mean"` (the
# LAION-style global mean) to `"database"` in full BASIC, and compare mmAP and minmAP. Look for: which mean
# fits this benchmark's images better, and whether the answer is the same for BASIC as for C alone (above).
#
# ```python
# rows = {}
# for where in ("image_mean", "database"):
#     r = evaluate(features, components("CMHXPQ", center_images_with=where))
#     rows[where] = {"mmAP": 100 * r.mmAP, "minmAP": 100 * r.minmAP}
# table = pd.DataFrame(rows).T.round(2)
# print(table)
# better = table.mmAP.idxmax()
# print(f"BASIC is better with center_images_with={better!r} by {abs(table.mmAP.diff().iloc[-1]):.2f} mmAP points")
# ```
#
# **2. Centre without M and H.** Centering changes the scale of both similarities, which M then corrects. Compare
# the product with and without C, and C+M with and without C (`components("M")` is min-normalisation alone).
# Look for: whether C helps more, or hurts less, once M is on.
#
# ```python
# for letters in ("", "C", "M", "CM"):
#     print(f"{letters or 'none':>4}: mmAP {100 * evaluate(features, components(letters)).mmAP:6.2f}")
# ```
