"""AP, ranks and the aggregate metrics against brute force and hand-made rankings."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from basic import metrics as m


def brute_ranks(scores, positives):
    out = []
    for s, p in zip(scores, positives):
        order = np.argsort(-s, kind="stable")
        out.append(np.flatnonzero(p[order]))
    return out


def reference_ap(pos_ranks):
    ap, step = 0.0, 1.0 / (len(pos_ranks) + 1e-5)
    for j, r in enumerate(pos_ranks):
        p0 = 1.0 if r == 0 else j / r
        ap += (p0 + (j + 1) / (r + 1)) * step / 2
    return ap


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), q=st.integers(1, 5), n=st.integers(1, 40), levels=st.integers(1, 6))
def test_ranks_and_ap_match_brute_force(seed, q, n, levels):
    rng = np.random.default_rng(seed)
    scores = (rng.integers(-levels, levels, size=(q, n)) * 0.5).astype(np.float32)   # many ties on purpose
    scores[rng.random((q, n)) < 0.1] = -0.0                                          # -0.0 ties with 0.0
    positives = rng.random((q, n)) < 0.3
    ranks = m.positive_ranks(scores, positives)
    for method in ("count", "sort"):
        np.testing.assert_array_equal(m.positive_ranks(scores, positives, method=method), ranks)
    ap = m.average_precision_trapezoid(ranks)
    for i, expected in enumerate(brute_ranks(scores, positives)):
        got = ranks[i][ranks[i] < n]
        np.testing.assert_array_equal(got, expected)
        assert ap[i] == pytest.approx(reference_ap(expected))


def test_perfect_ranking_has_ap_one():
    scores = np.array([[3.0, 2.0, 1.0, 0.0]])
    positives = np.array([[True, True, False, False]])
    r = m.positive_ranks(scores, positives)
    assert m.average_precision_standard(r)[0] == pytest.approx(1.0)
    assert m.average_precision_trapezoid(r)[0] == pytest.approx(1.0, abs=1e-4)


def test_worst_ranking_and_no_positive():
    scores = np.array([[3.0, 2.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    positives = np.array([[False, False, False, True], [False] * 4])
    r = m.positive_ranks(scores, positives)
    assert m.average_precision_standard(r)[0] == pytest.approx(0.25)
    assert m.average_precision_trapezoid(r)[0] == pytest.approx((0 + 0.25) / 2, rel=1e-4)
    assert m.average_precision_trapezoid(r)[1] == 0.0 and m.average_precision_standard(r)[1] == 0.0


def test_ties_break_by_database_order():
    for method in ("count", "sort"):
        r = m.positive_ranks(np.array([[1.0, 1.0, 1.0]]), np.array([[False, True, False]]), method=method)
        assert r[0, 0] == 1


def test_recall_precision_at_k():
    r = m.positive_ranks(np.array([[5.0, 4, 3, 2, 1]]), np.array([[True, False, True, False, True]]))
    assert m.recall_at_k(r, 1)[0] == pytest.approx(1 / 3, rel=1e-4)
    assert m.precision_at_k(r, 3)[0] == pytest.approx(2 / 3, rel=1e-4)


def test_summarize_by_hand():
    s = m.summarize(np.array([1.0, 0.0, 0.5, 0.5, 0.2]), ["a", "a", "b", "b", "c"])
    assert s["mAP"] == pytest.approx(2.2 / 5)
    assert s["mmAP"] == pytest.approx((0.5 + 0.5 + 0.2) / 3)
    assert s["minmAP"] == pytest.approx((0.0 + 0.5 + 0.2) / 3)
