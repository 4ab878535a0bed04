"""Each equation on small hand-checkable examples and its properties."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from basic import equations as eq


def test_l2_normalize_unit_rows():
    x = eq.l2_normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    np.testing.assert_allclose(x, [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)


def test_center_subtracts_without_renormalising():
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    np.testing.assert_allclose(eq.center(x, np.array([0.5, 0.5])), [[0.5, -0.5], [-0.5, 0.5]])


def test_scatter_matrix_by_hand():
    a = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(eq.scatter_matrix(a), [[1.0, 0.0], [0.0, 2.0]])


def test_contrastive_matrix_adds_eps_to_every_entry():
    a = np.array([[1.0, 0.0], [-1.0, 0.0]])
    b = np.array([[0.0, 1.0], [0.0, -1.0]])
    c = eq.contrastive_matrix(a, b, alpha=0.25)
    np.testing.assert_allclose(c, [[0.75 * 2 + 1e-5, 1e-5], [1e-5, -0.25 * 2 + 1e-5]])


def test_projection_keeps_positive_directions_only():
    # object corpus spreads along e0, style corpus along e1: P must keep e0 and drop e1
    pos = np.array([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0], [0.0, 0.0, 0.1], [0.0, 0.0, -0.1]])
    neg = np.array([[0.0, 3.0, 0.0], [0.0, -3.0, 0.0]])
    p = eq.contrastive_projection(pos, neg, alpha=0.5, components=1)
    np.testing.assert_allclose(p, np.diag([1.0, 0.0, 0.0]), atol=1e-4)
    assert eq.projection_rank(pos, neg, 0.5, components=10) == 2   # e0 and e2 positive, e1 negative


def test_components_beyond_dimension_is_capped_documented():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(size=(50, 6)), rng.normal(size=(50, 6))
    k = eq.projection_rank(pos, neg, 0.0, components=250)
    assert k <= 6
    p = eq.contrastive_projection(pos, neg, 0.0, components=250)
    assert np.linalg.matrix_rank(p, tol=1e-4) == k


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0, 1), k=st.integers(1, 8))
def test_projection_is_symmetric_idempotent(seed, alpha, k):
    rng = np.random.default_rng(seed)
    p = eq.contrastive_projection(rng.normal(size=(20, 8)), rng.normal(size=(15, 8)), alpha, k)
    np.testing.assert_allclose(p, p.T, atol=1e-5)
    np.testing.assert_allclose(p @ p, p, atol=1e-4)


def test_projecting_one_side_equals_projecting_both():
    rng = np.random.default_rng(1)
    p = eq.contrastive_projection(rng.normal(size=(30, 8)), rng.normal(size=(30, 8)), 0.2, 4).astype(np.float64)
    v, x = rng.normal(size=(3, 8)), rng.normal(size=(5, 8))
    np.testing.assert_allclose((v @ p) @ x.T, (v @ p) @ (x @ p).T, atol=1e-6)


def test_expansion_weights_softmax():
    w = eq.expansion_weights(np.array([[0.0, 10.0]]), beta=0.1)
    np.testing.assert_allclose(w, [[1 / (1 + np.e), np.e / (1 + np.e)]])


def test_expand_query_by_hand():
    # two database items, k=1: the nearest (x0) and the query itself, weights softmax(0.1*[s0, 1])
    q = np.array([[1.0, 0.0]])
    db = np.array([[0.8, 0.6], [-1.0, 0.0]])
    out = eq.expand_query(q, q, db, projection=None, k=1, beta=0.1)
    w = eq.expansion_weights(np.array([[0.8, 1.0]]), 0.1)[0]
    np.testing.assert_allclose(out, [w[0] * db[0] + w[1] * q[0]], rtol=1e-6)


def test_expand_query_needs_enough_items():
    with pytest.raises(eq.InputError, match="expansion needs 25"):
        eq.expand_query(np.ones((1, 2)), np.ones((1, 2)), np.ones((3, 2)), None, k=25)


def test_min_normalize_reference_and_paper_scales():
    si = np.array([[1.0, 0.0], [-0.6, 0.8]])
    st_ = np.array([[0.0, 1.0], [0.6, -0.8]])
    s_v_min, s_t_min = eq.min_similarities(si, st_)
    assert s_v_min == pytest.approx(-0.6) and s_t_min == pytest.approx(-1.0)
    assert eq.min_normalize(np.array(0.0), s_t_min, s_v_min) == pytest.approx(1 / 0.6)   # reference
    assert eq.min_normalize(np.array(0.0), s_t_min, s_t_min) == pytest.approx(1.0)       # paper


def test_harris_lambda_zero_is_product():
    a, b = np.array([0.5, 2.0]), np.array([3.0, 0.25])
    np.testing.assert_allclose(eq.harris_fusion(a, b, 0.0), a * b)
    np.testing.assert_allclose(eq.harris_fusion(a, b, 0.1), a * b - 0.1 * (a + b) ** 2)


def test_harris_prefers_balanced_scores():
    # same product, but one modality dominates in the second pair: Harris ranks the balanced one higher
    assert eq.harris_fusion(np.array(1.0), np.array(1.0), 0.1) > eq.harris_fusion(np.array(4.0), np.array(0.25), 0.1)


def test_harris_rejects_negative_lambda():
    with pytest.raises(eq.InputError):
        eq.harris_fusion(np.ones(2), np.ones(2), -0.1)


def test_round_off_eigenvalues_do_not_count_as_positive():
    """A low-rank corpus leaves eigenvalues that are zero up to round-off (~1e-16, either sign): they must not
    decide k, whatever their sign."""
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(3, 12))
    pos = rng.normal(size=(40, 3)) @ basis                   # rank 3 in 12 dimensions
    neg = rng.normal(size=(30, 3)) @ basis
    values, _ = eq.contrastive_spectrum(pos, neg, 0.0)
    assert eq.positive_count(values) == 4                     # 3 corpus directions + the ε·11ᵀ term
    noisy = values.copy()
    noisy[5:] = np.abs(noisy[5:]) + 1e-16 * values.max()     # round-off turned positive
    assert eq.positive_count(noisy) == eq.positive_count(values)
    assert eq.positive_count(np.array([-1.0, -2.0])) == 0
    assert eq.projection_rank(pos, neg, 0.0, components=250) == 4
