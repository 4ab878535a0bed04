# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Contextualisation (X)
#
# i-CIR's texts are short modifiers: "at night", "made of gold", "as a pencil sketch". Encoded alone, such a
# phrase is an odd input for a text encoder trained on whole captions, and its embedding drifts towards
# generic pictures of nights or of gold.
#
# **X** puts the phrase in context: for N objects c_i of the object corpus, embed "c_i text" and "text c_i",
# and average the 2N unit embeddings. The objects vary, the modifier stays: the average keeps what the
# modifier means whatever the object. This happens at extraction time (`basic.extract.contextualize`); the
# result is `features.query_text_context`, and the switch `Config(contextualize=...)` picks which text feature
# BASIC uses.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = "../figures"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from basic import equations as eq
from basic import profiles
from basic.config import Config, components
from basic.plots import record, save_figure
from basic.retrieval import evaluate

print(profiles.note(profile))
features = profiles.load_features(profile, data_dir, backbone)
if features.corpus_pos_prompts is not None:
    print("first objects of the corpus:", ", ".join(map(str, features.corpus_pos_prompts[:10])))
text = features.queries.text.iloc[0]
print(f"e.g. {text!r} becomes the mean of '<object> {text}' and '{text} <object>' over the objects")

# %% [markdown]
# ## How far does contextualisation move a text?

# %%
plain, context = eq.l2_normalize(features.query_text), eq.l2_normalize(features.query_text_context)
moved = pd.DataFrame({"text": features.queries.text, "cos(plain, contextualised)": (plain * context).sum(1)})
moved.groupby("text").first().sort_values("cos(plain, contextualised)").round(3).head(10)

# %% [markdown]
# ## Its effect on retrieval
# The text-only baseline with plain and with contextualised texts, and BASIC's C+M+H with and without X.

# %%
contextualised = features.replace(query_text=features.query_text_context)   # the same benchmark, X-texts
res = {"text only": evaluate(features, "text"), "text only, contextualised": evaluate(contextualised, "text"),
       "CMH": evaluate(features, components("CMH")), "CMHX": evaluate(features, components("CMHX"))}
table = pd.DataFrame({n: {k: 100 * v for k, v in r.summary().items()} for n, r in res.items()}).T

per = pd.DataFrame({"without X": res["CMH"].per_instance().mean_ap, "with X": res["CMHX"].per_instance().mean_ap}) * 100
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(per["without X"], per["with X"], s=14)
lim = [0, max(100, per.max().max())]
ax.plot(lim, lim, color="grey", lw=1)
ax.set_xlabel("instance mean AP, CMH (%)"); ax.set_ylabel("instance mean AP, CMHX (%)")
ax.set_title(f"Contextualisation per instance — {profile}")
save_figure(fig, "basic_X_contextualisation", figures_dir)
plt.show()
print(f"X helps {int((per['with X'] > per['without X']).sum())} of {len(per)} instances, "
      f"hurts {int((per['with X'] < per['without X']).sum())}")
record("05_contextualisation", [{"quantity": f"{k} mmAP", "ours": v} for k, v in table.mmAP.items()],
       figures_dir, profile)
table.round(2)
