# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Feature extraction
#
# BASIC never looks at pixels: it works on the embeddings of a frozen vision-language model (the paper:
# CLIP ViT-L/14 and SigLIP). Extraction runs once, on a GPU for the real i-CIR
# (`python -m basic.realpath --backbone clip`), and writes one **features folder**. Besides the query images,
# query texts and database images, BASIC reads a few *assets*, all embedded by the same model:
#
# | array | what it is | used by |
# |---|---|---|
# | `query_image`, `query_text`, `db_image` | the benchmark | everything |
# | `query_text_context` | each text averaged over "⟨object⟩ text" and "text ⟨object⟩" prompts | X (notebook 06) |
# | `corpus_pos`, `corpus_neg` | an object corpus and a style/condition corpus | C's text mean, P (notebook 07) |
# | `image_mean` | the mean image embedding of a large image collection (LAION-1M for the paper) | C (notebook 04) |
# | `synthetic_image`, `synthetic_text` | a small synthetic image–text set | M (notebook 05) |
#
# `basic.extract` does the extraction (`encode_images`, `encode_texts`, `contextualize`); this notebook loads a
# folder and checks one row against a fresh encoding when the backbone is small enough to run here.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None           # None: the profile's default folder
backbone = None           # None: the profile's backbone
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/
encode_demo = None        # None: re-encode one query only on the tiny profile (a ViT-L on a CPU is slow)

# %%
import numpy as np
import pandas as pd

from basic import notebook
from basic.features import ARRAY_FIELDS
from basic.plots import record

features = notebook.setup(profile, data_dir, backbone)
print("features folder:", notebook.features_dir(profile, data_dir, backbone).name)
pd.DataFrame([{"array": n, "shape": getattr(features, n).shape, "mean norm":
               float(np.linalg.norm(np.atleast_2d(getattr(features, n)), axis=1).mean())}
              for n in ARRAY_FIELDS if getattr(features, n) is not None])

# %% [markdown]
# Features are stored raw (not normalised); BASIC L2-normalises every input itself. The provenance of the
# folder (backbone, dataset version, prompts) is in its `meta.json` (absolute paths shortened to a file name;
# `backbone_key`, the extraction cache's key, left out: it names the checkpoint file by path and time, so it
# differs from one clone to the next):

# %%
import os

{k: (os.path.basename(v) if isinstance(v, str) and os.path.isabs(v) else v) for k, v in features.meta.items()
 if k != "backbone_key"}

# %% [markdown]
# ## One row, re-encoded
# `basic.extract.load_backbone("tiny")` loads our tiny CLIP; `encode_texts` embeds a text. The stored
# `query_text` row of the first query should be the same vector (cosine ≈ 1).

# %%
from basic.equations import l2_normalize

run_demo = notebook.dataset(profile).encoder_on_cpu if encode_demo is None else bool(encode_demo)
if run_demo:
    from basic.extract import encode_texts, load_backbone
    model = load_backbone(backbone or notebook.default_backbone(profile), device="cpu")
    text = features.queries.text.iloc[0]
    fresh = encode_texts(model, [text])
    cos = float(l2_normalize(fresh)[0] @ l2_normalize(features.query_text[:1])[0])
    print(f"text {text!r}: cosine(fresh, stored) = {cos:.4f}")
else:
    cos = np.nan
    print("skipped (set encode_demo=True to load the backbone here)")

# %% [markdown]
# ## A first look at the embedding space
# Cosine similarities between unit vectors: query image vs its instance's database, and query text vs the same
# database. Text–image similarities sit far lower than image–image ones: the **modality gap** that
# centering (notebook 04) and min-normalisation (notebook 05) deal with.

# %%
from basic.retrieval import group_by_instance

s_v, s_t = [], []
for name, q_rows, d_rows in group_by_instance(features):     # each query only meets its instance's database
    db = l2_normalize(features.db_image[d_rows])
    s_v.append((l2_normalize(features.query_image[q_rows]) @ db.T).ravel())
    s_t.append((l2_normalize(features.query_text[q_rows]) @ db.T).ravel())
s_v, s_t = np.concatenate(s_v), np.concatenate(s_t)
print(f"image→database cosine: mean {s_v.mean():.3f}, text→database cosine: mean {s_t.mean():.3f}")
record("02_feature_extraction", [
    {"quantity": "embedding dimension", "ours": features.dim},
    {"quantity": "mean image-image cosine", "ours": float(s_v.mean())},
    {"quantity": "mean text-image cosine", "ours": float(s_t.mean())},
    {"quantity": "re-encoding cosine", "ours": cos}], figures_dir, profile)
