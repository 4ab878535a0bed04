# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Instance-level composed image retrieval, and the data
#
# **Composed image retrieval (CIR)** searches a database with a query made of an *image* and a *text*:
# "this object" + "at night". Earlier CIR benchmarks are *semantic*: any red car at night will do.
# **i-CIR** (Psomas et al., NeurIPS 2025) asks for the **same instance**: *this* temple, *this* mug, under the
# change the text asks for. Each instance has its own database, full of **hard negatives**:
#
# * visual: the right object, the wrong condition (the text is ignored);
# * textual: the right condition, a look-alike object (the image is ignored);
# * composed: near misses on both.
#
# A database image is a positive when it shows the query's instance **and** the query's text. AP is computed per
# query; the headline metric **mmAP** averages AP over the queries of an instance, then over instances.
#
# **BASIC** is training-free: it scores the database with the image query and the text query *separately* and
# fuses the two scores so that only items good on **both** rank high. Notebook 01 teaches the metric, 02 the
# features, 03 the baselines; 04–08 build BASIC one component at a time, 09–11 put it together (ablation,
# categories and examples, speed). This notebook looks at the benchmark itself (paper Fig. 2).

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (the offline tiny world, default) or "icir" (real i-CIR, features extracted beforehand)
data_dir = None           # None: data/tiny for tiny, features/clip for icir
backbone = None           # None: the profile's backbone (our tiny CLIP / CLIP ViT-L/14)
figures_dir = None        # None: a scratch folder (out/scratch/figures); ./runall.sh passes the published figures/

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from basic import notebook, paper
from basic.icir import is_hard_negative, statistics, summary
from basic.plots import record, save_figure, save_table

notebook.setup(profile, data_dir, backbone)
data = notebook.labels(profile, data_dir)
print(f"{data.queries.instance.nunique()} instances, {len(data.queries)} composed queries, "
      f"{len(data.database)} database images" + ("" if data.root is None else " (with their images)"))

# %% [markdown]
# ## The labels
# Every query row is (instance, text, image path); every database row too. Positives are database rows
# that share the query's instance and text. Hard negatives sit under a `/hn/` folder.

# %%
data.queries.head()

# %%
db = data.database.assign(hard_negative=is_hard_negative(data.database.path).to_numpy())
db.groupby("instance").agg(images=("path", "size"), hard_negatives=("hard_negative", "sum"),
                           texts=("text", "nunique")).head()

# %% [markdown]
# ## The statistics of paper Fig. 2
# Four histograms: image queries per instance, text queries per instance, hard negatives per instance and
# positives per composed query. `basic.icir.statistics` computes them from the labels alone.

# %%
stats = statistics(data.queries, data.database)
table = summary(stats)
save_table(table.rename_axis("statistic"), "fig2_dataset_statistics", figures_dir)
table

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.2))
titles = {"image_queries_per_instance": "image queries / instance", "text_queries_per_instance": "text queries / instance",
          "hard_negatives_per_instance": "hard negatives / instance", "positives_per_query": "positives / composed query"}
for ax, (name, series) in zip(axes, stats.items()):
    counts = series.value_counts().sort_index()
    if len(counts) <= 25:                      # few distinct values: one bar per value
        ax.bar(counts.index, counts.values, width=0.8, color="tab:blue")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    else:
        ax.hist(series, bins=30, color="tab:blue", edgecolor="white")
    ax.set_title(titles[name], fontsize=10)
    ax.set_ylabel("count")
fig.suptitle(f"Dataset statistics (paper Fig. 2) — {profile} profile")
fig.tight_layout()
save_figure(fig, "fig2_dataset_statistics", figures_dir)

# %% [markdown]
# The paper reports for i-CIR 202 instances and 1,883 composed queries, 1–46 image queries and 1–5 text
# queries per instance, 951–10,045 hard negatives per instance and 1–127 positives per composed query
# (official README / dataset card; docs/paper.md §5), and calls it as hard as searching among more than 40M
# random distractors. The tiny world copies the *layout*, not the scale.

# %%
icir = {"instances": paper.value("icir.instances"), "composed queries": paper.value("icir.queries"),
        "database images": paper.value("icir.database")}
ours = {"instances": data.queries.instance.nunique(), "composed queries": len(data.queries),
        "database images": len(data.database),
        "hard negatives": int(db.hard_negative.sum()),
        "median positives per query": float(stats["positives_per_query"].median())}
record("00_overview_and_data", [{"quantity": k, "ours": v, "paper": icir.get(k)} for k, v in ours.items()],
       figures_dir, profile)
display(Markdown(f"**Paper vs here.** Here {ours['instances']} instances and {ours['composed queries']:,} composed "
                 f"queries over {ours['database images']:,} database images; i-CIR has {icir['instances']:.0f} "
                 f"instances, {icir['composed queries']:,.0f} composed queries and about "
                 f"{icir['database images'] / 1000:,.0f}K database images "
                 f"({ours['database images'] / icir['database images']:.1%} of its size)."))
pd.DataFrame({"ours": ours, "paper (i-CIR)": icir})

# %%
# NBVAL_CHECK_OUTPUT
print({k: ours[k] for k in ("instances", "composed queries", "database images", "hard negatives")})

# %% [markdown]
# ## What a query looks like (the idea of paper Fig. 1)
# One composed query, two of its positives, and one hard negative of each kind: **visual** (this instance,
# another condition), **textual** (the asked condition, a look-alike object) and **composed** (a look-alike
# under a related condition). Positives are framed green, hard negatives red; the pictures are not ranked.
# The tiny world's `manifest.csv` says which kind each hard negative is; i-CIR's release only marks hard
# negatives as such (a `/hn/` folder), so there the strip shows the first ones. Without images on disk (a
# features-only profile) the boxes show the file names.

# %%
from basic.plots import retrieval_strip

q = data.queries.iloc[0]
same = data.database[data.database.instance == q.instance]
pos = same[same.text == q.text].head(2)
manifest = None if data.root is None else data.root / "manifest.csv"
roles = pd.read_csv(manifest) if manifest is not None and manifest.is_file() else None
if roles is not None and {"path", "role", "condition"} <= set(roles.columns):
    role = same.path.map(roles.set_index("path").role)
    picks = [same[role == kind].head(1) for kind in ("visual", "textual", "composed")]
    hard = pd.concat(picks)
    hard_titles = [f"{kind} hard negative" for kind, p in zip(("visual", "textual", "composed"), picks) for _ in range(len(p))]
else:
    hard = same[is_hard_negative(same.path).to_numpy()].head(3)
    hard_titles = ["hard negative"] * len(hard)
items = pd.concat([pos, hard])
status = ["positive"] * len(pos) + ["hard negative"] * len(hard)
titles = [f"positive\n{t}" for t in pos.text] + hard_titles
fig, axes = plt.subplots(1, 1 + len(items), figsize=(2 * (1 + len(items)), 2.5), squeeze=False)
retrieval_strip(axes[0], data, q, items, status, titles=titles)
save_figure(fig, "fig1_example_query", figures_dir, pdf=False)
