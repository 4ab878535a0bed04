# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Contextualisation (X)
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
from basic.retrieval import evaluate, sweep
# (np, pd, eq, Config, components, evaluate, sweep and features: also what the "Try it" exercises use)

features = notebook.setup(profile, data_dir, backbone)
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
print(f"X helps {int((per['with X'] > per['without X']).sum())} of {len(per)} instances, "
      f"hurts {int((per['with X'] < per['without X']).sum())}")
ladder = paper.table2().set_index("letters").paper_mmAP
display(Markdown(paper.change_statement("Adding contextualisation (CMH → CMHX)",
                                        (table.mmAP["CMH"], table.mmAP["CMHX"]), (ladder["CMH"], ladder["CMHX"]))))
record("06_contextualisation", [{"quantity": f"{k} mmAP", "ours": v, "paper": ladder.get(k)} for k, v in table.mmAP.items()],
       figures_dir, profile)
table.round(2)

# %% [markdown]
# ## Try it
# Paste a block into a new cell at the end of this notebook (it uses `features` and the imports above). The
# measured answers are in `figures/solutions.md`, which `./runall.sh` writes.
#
# **1. Drop the corpus header.** The reference reads the object corpus with its header row, so the first
# "object" is the word `object_name`; the tiny profile does the same. Re-contextualise the query texts with the
# tiny CLIP, once as the reference does and once without the header (`--clean-corpus-header` at extraction),
# and compare C+M+H+X. Look for: whether one stray word among 100 changes the result (tiny profile only: it
# re-encodes texts with our tiny CLIP, a few seconds on a CPU).
#
# ```python
# from basic.extract import contextualize, load_backbone
#
# if not notebook.dataset(profile).encoder_on_cpu:
#     print("re-encodes texts: only where the backbone runs on a CPU (the tiny world's tiny CLIP)")
# else:
#     model = load_backbone(notebook.default_backbone(profile), device="cpu")
#     objects = [str(o) for o in features.corpus_pos_prompts]
#     texts = features.queries.text.tolist()
#     for name, corpus in (("with the header (reference)", objects), ("without the header", objects[1:])):
#         variant = features.replace(query_text_context=contextualize(model, texts, corpus, number=100))
#         print(f"{name:>28}: CMHX mmAP {100 * evaluate(variant, components('CMHX')).mmAP:.2f}")
# ```
#
# **2. How many objects?** Contextualise with the first 1, 10 and 100 objects of the corpus (the reference
# uses 100). Look for: how quickly the average settles (tiny profile only, as above).
#
# ```python
# from basic.extract import contextualize, load_backbone
#
# if not notebook.dataset(profile).encoder_on_cpu:
#     print("re-encodes texts: only where the backbone runs on a CPU (the tiny world's tiny CLIP)")
# else:
#     model = load_backbone(notebook.default_backbone(profile), device="cpu")
#     objects = [str(o) for o in features.corpus_pos_prompts]
#     texts = features.queries.text.tolist()
#     for n in (1, 10, 100):
#         variant = features.replace(query_text_context=contextualize(model, texts, objects, number=n))
#         print(f"{n:>3} objects: CMHX mmAP {100 * evaluate(variant, components('CMHX')).mmAP:.2f}")
# ```
