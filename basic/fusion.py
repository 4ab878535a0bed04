"""Late fusion of the two similarities besides Harris: WeiCom and the weighted mixtures of Fig. 6.

All take s_t (text query vs database) and s_v (image query vs database) as (Q, N) arrays and a text
weight w in [0, 1]; w = 0 keeps the image only, w = 1 the text only.
"""
from __future__ import annotations

import numpy as np


def _check_weight(w: float) -> None:
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"the text weight must lie in [0, 1], got {w}")


def gaussian_cdf_normalize(s: np.ndarray) -> np.ndarray:
    """N(s) = Φ((s − μ)/σ), with μ, σ the mean and standard deviation of each query's row of scores.

    WeiCom's normalisation (Psomas et al., IGARSS 2024): it puts both modalities on one scale.
    A row with σ = 0 maps to 0.5.
    """
    mu = s.mean(axis=-1, keepdims=True)
    sigma = s.std(axis=-1, keepdims=True)
    z = np.divide(s - mu, sigma, out=np.zeros_like(s, dtype=np.float64), where=sigma > 0)
    from scipy.special import ndtr            # imported here: only WeiCom needs scipy
    return ndtr(z)


def weicom(s_t: np.ndarray, s_v: np.ndarray, w: float) -> np.ndarray:
    """WeiCom: s = (1 − w) N(s_v) + w N(s_t), N the per-query Gaussian-CDF normalisation."""
    _check_weight(w)
    return (1.0 - w) * gaussian_cdf_normalize(s_v) + w * gaussian_cdf_normalize(s_t)


def weighted_sum(s_t: np.ndarray, s_v: np.ndarray, w: float) -> np.ndarray:
    """Text+Image with a weight (Fig. 6): s = (1 − w) s_v + w s_t. w = 0.5 ranks as the plain sum."""
    _check_weight(w)
    return (1.0 - w) * s_v + w * s_t


def weighted_product(s_t: np.ndarray, s_v: np.ndarray, w: float) -> np.ndarray:
    """Text×Image with a weight (Fig. 6): s = max(s_v,0)^(1−w) · max(s_t,0)^w. w = 0.5 ranks as the product."""
    _check_weight(w)
    return np.maximum(s_v, 0) ** (1.0 - w) * np.maximum(s_t, 0) ** w


def composition_gain(scores_by_weight: dict) -> float:
    """Best score over weights minus the better single modality (the scores at w = 0 and w = 1)."""
    if 0.0 not in scores_by_weight or 1.0 not in scores_by_weight:
        raise ValueError("composition gain needs the single-modality ends w = 0 and w = 1")
    return max(scores_by_weight.values()) - max(scores_by_weight[0.0], scores_by_weight[1.0])
