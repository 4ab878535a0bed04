"""WeiCom and the weighted mixtures on hand-made scores."""
import numpy as np
import pytest

from basic import fusion
from basic.config import Config
from basic.retrieval import evaluate, sweep


def test_gaussian_cdf_normalisation_by_hand():
    s = np.array([[0.0, 1.0, 2.0]])          # mean 1, std sqrt(2/3)
    z = (s - 1) / np.sqrt(2 / 3)
    from math import erf, sqrt
    expected = [[0.5 * (1 + erf(v / sqrt(2))) for v in z[0]]]
    np.testing.assert_allclose(fusion.gaussian_cdf_normalize(s), expected, rtol=1e-9)
    np.testing.assert_allclose(fusion.gaussian_cdf_normalize(np.ones((1, 3))), 0.5)


def test_weight_ends_are_single_modalities():
    rng = np.random.default_rng(0)
    st, sv = rng.random((2, 6)), rng.random((2, 6))
    for f in (fusion.weicom, fusion.weighted_sum, fusion.weighted_product):
        np.testing.assert_array_equal(np.argsort(f(st, sv, 0.0)), np.argsort(sv if f is not fusion.weicom else fusion.gaussian_cdf_normalize(sv)))
        np.testing.assert_array_equal(np.argsort(f(st, sv, 1.0)), np.argsort(st if f is not fusion.weicom else fusion.gaussian_cdf_normalize(st)))
    with pytest.raises(ValueError):
        fusion.weicom(st, sv, 1.5)


def test_half_weights_rank_like_sum_and_product(small):
    assert evaluate(small, Config(method="weighted-sum")).ap == pytest.approx(evaluate(small, "sum").ap)
    assert evaluate(small, Config(method="weighted-product")).ap == pytest.approx(evaluate(small, "product").ap)


def test_weight_sweep_ends_match_baselines(small):
    table = sweep(small, Config(method="weighted-sum"), "text_weight", [0.0, 0.5, 1.0])
    assert table.mmAP.iloc[0] == pytest.approx(evaluate(small, "image").mmAP)
    assert table.mmAP.iloc[2] == pytest.approx(evaluate(small, "text").mmAP)


def test_composition_gain():
    assert fusion.composition_gain({0.0: 0.1, 0.5: 0.4, 1.0: 0.2}) == pytest.approx(0.2)
    with pytest.raises(ValueError):
        fusion.composition_gain({0.5: 0.4})
