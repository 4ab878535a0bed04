"""The distractor curve: how many random distractors make the benchmark as hard as its hard negatives.

The paper claims i-CIR is as hard as searching among more than 40M random distractors. Here: drop every
hard negative (each instance keeps only the rows that are positive for one of its queries), add the first
N random distractors to every instance's database (``basic.search``, exact and exhaustive), and watch mmAP
fall as N grows; the benchmark with its hard negatives is the level to reach.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Config
from .features import Features
from .retrieval import evaluate, label_codes
from .search import SearchOptions, evaluate_search


def positives_only(features: Features) -> Features:
    """The benchmark without its negatives: each instance keeps the rows positive for one of its queries."""
    q_inst, d_inst, _ = label_codes(features, "instance")
    q_text, d_text, _ = label_codes(features, "text")
    n_text = int(max(q_text.max(initial=0), d_text.max(initial=0))) + 1
    asked = np.unique(q_inst.astype(np.int64) * n_text + q_text)
    keep = np.isin(d_inst.astype(np.int64) * n_text + d_text, asked)
    return features.replace(db_image=features.db_image[keep], database=features.database[keep].reset_index(drop=True))


def default_counts(available: int, start: int = 100) -> list[int]:
    """1, 3, 10, 30... times ``start``, up to the distractors available (the last one included)."""
    counts, c = [], start
    while c < available:
        counts.append(c)
        c = c * 3 if str(c)[0] == "1" else c * 10 // 3
    return counts + [available]


def curve(features: Features, distractors: np.ndarray, counts, configs: dict[str, Config]) -> pd.DataFrame:
    """mmAP / mAP of each config with the first N distractors (hard negatives dropped), and with the hard
    negatives instead (``count`` = -1, no distractors): one row per (method, count)."""
    easy = positives_only(features)
    rows = []
    for name, config in configs.items():
        hard = evaluate(features, config).summary()
        rows.append({"method": name, "setting": "hard negatives", "count": -1, **hard})
        for n in counts:
            res = evaluate_search(easy, config, SearchOptions(database="instance", candidates=None),
                                  distractors=distractors[:n])
            rows.append({"method": name, "setting": "random distractors", "count": int(n), **res.summary()})
    return pd.DataFrame(rows)


def crossing(counts, values, level: float) -> dict:
    """Where a falling curve (values at counts) meets ``level``: log-linear interpolation between the grid
    points around the first one at or below it. If it never does, the trend of the last two points (change
    per tenfold more distractors) and, if falling, the count at which it would meet the level (extrapolated)."""
    counts, values = np.asarray(counts, float), np.asarray(values, float)
    below = np.flatnonzero(values <= level)
    if len(below):
        i = int(below[0])
        if i == 0:
            return {"meets": True, "count": float(counts[0]), "note": f"already at or below the level at {counts[0]:,.0f}"}
        x0, x1 = np.log10(counts[i - 1]), np.log10(counts[i])
        t = (values[i - 1] - level) / (values[i - 1] - values[i])
        return {"meets": True, "count": float(10 ** (x0 + t * (x1 - x0))), "note": "interpolated"}
    slope = (values[-1] - values[-2]) / (np.log10(counts[-1]) - np.log10(counts[-2])) if len(counts) > 1 else np.nan
    out = {"meets": False, "per_decade": float(slope), "count": None, "note": "not within the range"}
    if slope < 0:
        out["count"] = float(counts[-1] * 10 ** ((level - values[-1]) / slope))
        out["note"] = "extrapolated from the last two points"
    return out
