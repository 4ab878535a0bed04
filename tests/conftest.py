import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from basic.features import Features, is_features_folder

REPO = Path(__file__).resolve().parents[1]
#: The golden cases: tests/golden (vendored, so parity runs in a fresh clone); $BASIC_GOLDEN_DIR overrides.
GOLDEN_DIR = Path(os.environ.get("BASIC_GOLDEN_DIR") or REPO / "tests" / "golden")


def golden_cases():
    """Every case folder (one with an ``expected/`` folder of reference results) under GOLDEN_DIR."""
    if not GOLDEN_DIR.is_dir():
        return []
    return sorted(p for p in GOLDEN_DIR.iterdir() if (p / "expected").is_dir() and is_features_folder(p))


def make_features(seed=0, instances=3, queries_per=4, db_per=40, d=16, texts=("red", "snow", "sketch"),
                  with_assets=True) -> Features:
    """Small random CLIP-like features with every asset, for hand-checkable tests."""
    rng = np.random.default_rng(seed)
    q_rows, d_rows = [], []
    for i in range(instances):
        for j in range(queries_per):
            q_rows.append((f"inst{i}", texts[j % len(texts)], f"query/inst{i}/{j}.jpg"))
        for j in range(db_per):
            d_rows.append((f"inst{i}", texts[j % len(texts)] if j % 4 else "none", f"database/inst{i}/{j}.jpg"))
    q = pd.DataFrame(q_rows, columns=["instance", "text", "path"])
    db = pd.DataFrame(d_rows, columns=["instance", "text", "path"])
    r = lambda n: rng.normal(size=(n, d)).astype(np.float32)
    kw = {}
    if with_assets:
        kw = dict(query_text_context=r(len(q)), corpus_pos=r(30), corpus_neg=r(20),
                  image_mean=rng.normal(size=d).astype(np.float32) * 0.3,
                  synthetic_image=r(25), synthetic_text=r(25))
    return Features(query_image=r(len(q)), query_text=r(len(q)), db_image=r(len(db)),
                    queries=q, database=db, **kw)


@pytest.fixture
def small():
    return make_features()
