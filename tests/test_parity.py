"""Parity with the reference implementation on every golden case (tests/golden, or $BASIC_GOLDEN_DIR)."""
import json

import numpy as np
import pytest

from basic.config import Config
from basic.features import Features
from basic.retrieval import evaluate

from conftest import GOLDEN_DIR, golden_cases

CASES = [(case, exp) for case in golden_cases() for exp in sorted((case / "expected").glob("*.json"))]


@pytest.mark.skipif(not CASES, reason=f"no golden case folder under {GOLDEN_DIR} (parity-only test; "
                                       "set BASIC_GOLDEN_DIR to a folder of cases to run it)")
@pytest.mark.parametrize("case,expected", CASES, ids=[f"{c.name}/{e.stem}" for c, e in CASES])
def test_matches_reference(case, expected):
    e = json.loads(expected.read_text())
    result = evaluate(Features.load(case), Config.from_dict(e))
    lo, hi = np.asarray(e["ap_lo"]) - 1e-6, np.asarray(e["ap_hi"]) + 1e-6
    outside = np.flatnonzero((result.ap < lo) | (result.ap > hi))
    assert outside.size == 0, f"queries {outside.tolist()[:10]} outside the reference AP range"
    summary = result.summary()
    for key in ("mAP", "mmAP", "minmAP"):
        assert e[f"{key}_lo"] - 1e-6 <= summary[key] <= e[f"{key}_hi"] + 1e-6, key


@pytest.mark.skipif(not CASES, reason="no golden cases")
def test_top10_matches_reference_where_untied():
    case, expected = next((c, e) for c, e in CASES if e.stem == "basic")
    e = json.loads(expected.read_text())
    result = evaluate(Features.load(case), Config.from_dict(e), keep_scores=True)
    exact = [i for i in range(len(e["ap"])) if e["ap_lo"][i] == e["ap_hi"][i]]
    assert exact
    for i in exact:
        assert result.top(i, 10).tolist() == e["top10"][i]
