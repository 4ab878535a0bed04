"""BASIC, one function per equation of the paper (Psomas et al., NeurIPS 2025, Sec. 4).

Pure functions on numpy arrays. Rows are feature vectors. Where the official code and the paper
differ, the function follows the code and offers the paper's variant as an argument.
Notation: v = query image feature, t = query text feature, x = database image feature,
s_v = image-image similarity, s_t = text-image similarity.
"""
from __future__ import annotations

import numpy as np


class InputError(ValueError):
    """Features that BASIC cannot use (NaN, zero length, wrong shape); the message says which."""


# ----------------------------------------------------------------------------- preliminaries
def l2_normalize(x: np.ndarray, name: str = "features") -> np.ndarray:
    """Unit-length rows, x / ||x||: every input of BASIC is L2-normalised first.

    Raises InputError for NaN/inf entries or zero-length rows, naming the first bad row.
    """
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    bad = ~np.isfinite(norms) | (norms <= 1e-12)
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(-1))[0])
        what = "NaN or infinite values" if not np.isfinite(norms.reshape(-1)[row]) else "zero length"
        raise InputError(f"{name}: row {row} has {what}; every feature vector must be finite and non-zero "
                         "(re-extract it, or drop that row and its label)")
    return x / norms


def cosine_similarities(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s = a bᵀ: dot products of (already normalised and/or centred) rows."""
    return a @ b.T


# ----------------------------------------------------------------------------- C: centering
def center(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """C, centering (Sec. 4.1): x̄ = x − μ, with no renormalisation afterwards.

    Image side (query image, database, synthetic images): μ_v is an image mean (LAION-1M in the paper,
    or the instance's database mean). Text side (query text, both corpora, synthetic texts): μ_t is the
    mean of the normalised positive (object) corpus.
    """
    return x - np.asarray(mean, dtype=x.dtype).reshape(1, -1)


# ----------------------------------------------------------------------------- P: contrastive projection
def scatter_matrix(a: np.ndarray) -> np.ndarray:
    """S = AᵀA / (n − 1) of a centred corpus A (n × d): S⁺ for the object corpus, S⁻ for the style corpus."""
    a = np.asarray(a, dtype=np.float64)
    if len(a) < 2:
        raise InputError(f"a corpus needs at least 2 rows for its scatter matrix, got {len(a)}")
    return a.T @ a / (len(a) - 1)


def contrastive_matrix(pos: np.ndarray, neg: np.ndarray, alpha: float, eps: float = 1e-5) -> np.ndarray:
    """C = (1 − α) S⁺ − α S⁻ + ε, the contrastive covariance (Sec. 4.2).

    As in the reference, ε = 1e-5 is added to every entry, not only to the diagonal.
    """
    return (1.0 - alpha) * scatter_matrix(pos) - alpha * scatter_matrix(neg) + eps


def contrastive_spectrum(pos: np.ndarray, neg: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors (columns, same order) of C = (1−α)S⁺ − αS⁻ + ε."""
    values, vectors = np.linalg.eigh(contrastive_matrix(pos, neg, alpha))
    return values[::-1], vectors[:, ::-1]


#: An eigenvalue of C counts as positive only above this fraction of the largest one (see ``positive_count``).
POSITIVE_EIGENVALUE_RTOL = 1e-10


def positive_count(values: np.ndarray, rtol: float = POSITIVE_EIGENVALUE_RTOL) -> int:
    """The number of eigenvalues of C that count as positive: those > rtol × the largest eigenvalue.

    The reference counts λ > 0. Eigenvalues that are zero in exact arithmetic (C has rank ≤ the corpus
    sizes) come out of ``eigh`` as round-off of order 1e-16 × λ_max with a random sign, so ``λ > 0`` would
    make k (and every result at α = 0) depend on floating-point noise. A relative threshold of 1e-10 drops
    only that noise: a genuine direction 1e-10 times weaker than the strongest carries no retrieval signal.
    Returns 0 when no eigenvalue is positive.
    """
    values = np.asarray(values, dtype=np.float64)
    top = float(values.max()) if values.size else 0.0
    if top <= 0:
        return 0
    return int((values > rtol * top).sum())


def contrastive_projection(pos: np.ndarray, neg: np.ndarray, alpha: float, components: int) -> np.ndarray:
    """P = V_k V_kᵀ, the projector onto the top-k eigenvectors of C (Sec. 4.2).

    k = min(components, number of positive eigenvalues), where an eigenvalue counts as positive only
    above 1e-10 × the largest one (``positive_count``: round-off must not decide k). P is symmetric and
    idempotent, so projecting the query image alone changes s_v = (P v̄)·x̄ exactly as projecting both
    sides would. Documented behaviour: ``components`` larger than the dimension d is not an error; like the
    reference, k is capped at the number of positive eigenvalues (at most d). ``projection_rank`` tells the
    k used.
    """
    if components < 1:
        raise InputError(f"components must be >= 1, got {components}")
    values, vectors = contrastive_spectrum(pos, neg, alpha)
    k = min(int(components), positive_count(values))
    v_k = vectors[:, :k]
    return (v_k @ v_k.T).astype(np.float32)


def projection_rank(pos: np.ndarray, neg: np.ndarray, alpha: float, components: int) -> int:
    """k = min(components, number of positive eigenvalues of C, ``positive_count``): the rank of P used."""
    values, _ = contrastive_spectrum(pos, neg, alpha)
    return min(int(components), positive_count(values))


def project(x: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """v̂ = v̄ P (rows): apply the contrastive projection to centred query-image features."""
    return x @ projection


# ----------------------------------------------------------------------------- Q: query expansion
def expansion_weights(similarities: np.ndarray, beta: float) -> np.ndarray:
    """w = softmax(β s) along the last axis (the reference uses β = 0.1)."""
    z = beta * similarities
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def top_neighbours(similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and similarities of each row's k largest entries (their order inside the top k is irrelevant)."""
    n = similarities.shape[1]
    if n < k:
        raise InputError(f"query expansion needs {k} database items but this database has {n}; "
                         f"lower expansion_k to at most {n} or switch query_expansion off")
    top = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
    return top, np.take_along_axis(similarities, top, axis=1)


def expanded_query(query_centered: np.ndarray, neighbours: np.ndarray, neighbour_sims: np.ndarray,
                   projection: np.ndarray | None, beta: float = 0.1) -> np.ndarray:
    """v̂' = P (Σ_i w_i x̄_i + w_0 v̄), w = softmax(β [s_1..s_k, 1]) (Sec. 4.2, query expansion).

    neighbours: (Q, k, d) centred database features of each query's top-k; neighbour_sims: (Q, k).
    The centred, unprojected query joins its neighbours with similarity 1.
    """
    ones = np.ones((len(neighbour_sims), 1), neighbour_sims.dtype)
    w = expansion_weights(np.concatenate([neighbour_sims, ones], axis=1), beta)
    k = neighbours.shape[1]
    expanded = np.einsum("qk,qkd->qd", w[:, :k], neighbours) + w[:, k:] * query_centered
    return expanded if projection is None else expanded @ projection


def expand_query(query_projected: np.ndarray, query_centered: np.ndarray, db_centered: np.ndarray,
                 projection: np.ndarray | None, k: int = 25, beta: float = 0.1) -> np.ndarray:
    """Q, query expansion (Sec. 4.2): the projected query's k nearest centred database items and the
    query itself, averaged with weights softmax(β s), then projected again. Returns (Q, d).

    Neighbours are found with the projected query; the centred, unprojected query joins them with
    similarity 1 (the reference's rule).
    """
    top, sims = top_neighbours(query_projected @ db_centered.T, k)
    return expanded_query(query_centered, db_centered[top], sims, projection, beta)


# ----------------------------------------------------------------------------- M: min-normalisation
def min_similarities(synthetic_image: np.ndarray, synthetic_text: np.ndarray) -> tuple[float, float]:
    """s_v,min and s_t,min: the smallest image-image and text-image similarities on the synthetic set.

    Inputs are the normalised (and, when C is on, centred) synthetic image and text features.
    """
    s_v_min = float((synthetic_image @ synthetic_image.T).min())
    s_t_min = float((synthetic_text @ synthetic_image.T).min())
    return s_v_min, s_t_min


def min_normalize(s: np.ndarray, s_min: float, scale: float) -> np.ndarray:
    """M, min-normalisation (Sec. 4.3): ŝ = (s − s_min) / |scale|.

    The image score uses scale = s_v,min. For the text score the reference divides by |s_v,min| (the
    IMAGE minimum); the paper writes |s_t,min|. ``basic.retrieval`` picks via Config.text_scale.
    """
    return (s - s_min) / abs(scale)


def rectify(s: np.ndarray) -> np.ndarray:
    """max(s, 0): negative similarities carry no evidence and are clamped before fusion."""
    return np.maximum(s, 0)


# ----------------------------------------------------------------------------- H: Harris fusion
def harris_fusion(s_t: np.ndarray, s_v: np.ndarray, lam: float) -> np.ndarray:
    """H, Harris fusion (Sec. 4.3): s = ŝ_t ŝ_v − λ (ŝ_t + ŝ_v)².

    Like the Harris corner response (det − λ trace²), it rewards items that score high on both
    modalities and penalises those that score high on one only. λ = 0 is the plain product.
    """
    if lam < 0:
        raise InputError(f"harris lambda must be >= 0, got {lam}")
    return s_t * s_v - lam * (s_t + s_v) ** 2
