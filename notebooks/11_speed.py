# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Speed: latency per query against mmAP (paper Fig. E5)
#
# BASIC is training-free and cheap: two dot products per database item, a projection, and optionally a second
# search for query expansion. What is shared by all queries (normalised corpora, the eigen-decomposition behind
# P, the min-normalisation statistics) is computed once. This notebook times the whole evaluation (stage 1, the
# similarities; stage 2, fusion and ranking) for each method and ablation row, divides by the number of
# queries and plots it against mmAP. Times are measured on this machine's CPU, features already in memory;
# the paper's Fig. E5 numbers were not transcribed.

# %% tags=["parameters"]
profile = "tiny"          # "tiny" (default) or "icir"
data_dir = None
backbone = None
figures_dir = "../figures"
repeats = 3

# %%
import time

import matplotlib.pyplot as plt
import pandas as pd

from basic import profiles
from basic.config import ABLATION_ROWS, components, preset
from basic.plots import record, save_figure, save_table
from basic.retrieval import evaluate, prepare

print(profiles.note(profile))
features = profiles.load_features(profile, data_dir, backbone)
n = len(features.queries)
evaluate(features, "basic")   # warm-up (caches the database norms)

configs = {m: preset(m) for m in ("image", "text", "sum", "product", "weicom")}
configs |= {(letters or "none"): components(letters) for letters in ABLATION_ROWS if letters}


def best_time(fn):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t0)
    return min(times), out


rows = []
for name, cfg in configs.items():
    seconds, result = best_time(lambda: evaluate(features, cfg))
    shared, _ = best_time(lambda: prepare(features, cfg))
    rows.append({"method": name, "ms per query": 1000 * seconds / n, "shared setup (ms)": 1000 * shared,
                 "mmAP": 100 * result.mmAP})
speed = pd.DataFrame(rows)
save_table(speed, "figE5_latency", figures_dir)
speed.round(3)

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(speed["ms per query"], speed["mmAP"])
for r in speed.itertuples():
    ax.annotate(r.method, (r._2, r.mmAP), fontsize=7, xytext=(3, 3), textcoords="offset points")
ax.set_xscale("log")
ax.set_xlabel("latency per query (ms, CPU, log scale)"); ax.set_ylabel("mmAP (%)")
ax.set_title(f"Latency vs mmAP (paper Fig. E5) — {profile} profile, {n} queries")
ax.grid(alpha=0.3)
save_figure(fig, "figE5_latency", figures_dir)
plt.show()
record("10_speed", [{"quantity": f"{r.method} ms/query", "ours": r._2} for r in speed.itertuples()],
       figures_dir, profile)
