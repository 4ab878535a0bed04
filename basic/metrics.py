"""The i-CIR evaluation protocol: ranks of the positives, AP, mAP / mmAP / minmAP, R@k and P@k.

Nothing here loops over database items in Python: a query's AP depends only on the ranks of its
positives, found in bulk by numpy (a stable sort per row, or a direct count when positives are few).
Ties are broken by database order (the earlier item ranks first), as a stable sort would.
"""
from __future__ import annotations

import numpy as np

_PAD = np.iinfo(np.int64).max


def positive_ranks(scores: np.ndarray, positives: np.ndarray, method: str = "auto",
                   max_cells: int = 1 << 25) -> np.ndarray:
    """0-based ranks of each query's positives when the database is sorted by descending score.

    scores, positives: (Q, N) arrays for one database. Returns a (Q, P) int64 array, each row sorted
    ascending and padded with a huge value where a query has fewer than P = max positives.
    rank(p) = #{i : s_i > s_p} + #{i < p : s_i = s_p}  (a stable sort's order).

    method: "count" evaluates that formula directly (cost ~ Q·P·N, best for few positives); "sort" sorts
    one integer key per item that orders by (query, score, earlier index first) and binary-searches each
    positive's key (cost ~ Q·N·log N); "auto" picks the cheaper. Both give identical ranks.
    """
    scores = np.asarray(scores)
    positives = np.asarray(positives, dtype=bool)
    if scores.shape != positives.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and positives {positives.shape} must be equal (Q, N) arrays")
    q, n = scores.shape
    counts = positives.sum(axis=1)
    p = int(counts.max()) if q else 0
    out = np.full((q, p), _PAD, dtype=np.int64)
    if p == 0:
        return out
    if method == "auto":
        method = "count" if 3 * p < 2 * np.log2(max(n, 2)) else "sort"
    rows, cols = np.nonzero(positives)
    slot = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    if method == "sort":
        keys = _order_keys(scores)
        if keys is not None:
            flat = np.sort(keys.ravel())
            # items of row i occupy flat[i*n:(i+1)*n]; those after key_p score higher (or tie and come first)
            out[rows, slot] = (rows + 1) * n - np.searchsorted(flat, keys[rows, cols], side="right")
            out.sort(axis=1)
            return out
        method = "count"                          # keys would overflow 63 bits: count instead
    if method != "count":
        raise ValueError(f"method must be 'auto', 'count' or 'sort', got {method!r}")
    index = np.zeros((q, p), dtype=np.int64)
    index[rows, slot] = cols
    valid = np.arange(p)[None, :] < counts[:, None]
    step = max(1, max_cells // max(1, p * n))              # bound the (chunk, P, N) temporaries
    columns = np.arange(n)
    for a in range(0, q, step):
        s = scores[a:a + step]
        idx = index[a:a + step]
        sp = np.take_along_axis(s, idx, axis=1)[:, :, None]
        greater = (s[:, None, :] > sp).sum(axis=2)
        tied_before = ((s[:, None, :] == sp) & (columns[None, None, :] < idx[:, :, None])).sum(axis=2)
        out[a:a + step] = np.where(valid[a:a + step], greater + tied_before, _PAD)
    out.sort(axis=1)
    return out


def _order_keys(scores: np.ndarray) -> np.ndarray | None:
    """Unique int64 keys, ascending in (row, score, reversed column): a row's higher-ranked items sort later.

    A float32 score maps to an order-preserving uint32 (flip all bits of negatives, set the sign bit of
    the rest; -0.0 is folded into +0.0 first). Returns None if row, score and column bits exceed 63.
    """
    q, n = scores.shape
    row_bits, col_bits = max(1, int(q - 1).bit_length()), max(1, int(n - 1).bit_length())
    if row_bits + 32 + col_bits > 63 or not np.all(np.isfinite(scores)):
        return None
    u = (np.asarray(scores, dtype=np.float32) + np.float32(0.0)).view(np.uint32)
    u = np.where(u & np.uint32(0x80000000), ~u, u | np.uint32(0x80000000)).astype(np.int64)
    rows = np.arange(q, dtype=np.int64)[:, None] << (32 + col_bits)
    cols = (n - 1 - np.arange(n, dtype=np.int64))[None, :]
    return rows | (u << col_bits) | cols


def average_precision_trapezoid(ranks: np.ndarray) -> np.ndarray:
    """AP as the reference computes it: the trapezoidal rule over the precision-recall curve.

    For the j-th positive (0-based) at rank r: ((j / r, or 1 when r = 0) + (j + 1)/(r + 1)) / 2, summed
    and multiplied by the recall step 1/(n_pos + 1e-5). A query without positives has AP 0.
    """
    ranks = np.atleast_2d(ranks)
    valid = ranks != _PAD
    j = np.arange(ranks.shape[1])[None, :].astype(np.float64)
    r = np.where(valid, ranks, 1).astype(np.float64)
    p0 = np.where(r == 0, 1.0, j / np.maximum(r, 1))
    p1 = (j + 1) / (r + 1)
    n_pos = valid.sum(axis=1)
    return np.where(valid, (p0 + p1) / 2, 0).sum(axis=1) / (n_pos + 1e-5)


def average_precision_standard(ranks: np.ndarray) -> np.ndarray:
    """The usual (non-interpolated) AP: mean over positives of the precision at their rank; 0 if none."""
    ranks = np.atleast_2d(ranks)
    valid = ranks != _PAD
    j = np.arange(ranks.shape[1])[None, :]
    prec = np.where(valid, (j + 1) / (np.where(valid, ranks, 0) + 1.0), 0.0)
    n_pos = valid.sum(axis=1)
    return np.divide(prec.sum(axis=1), n_pos, out=np.zeros(len(ranks)), where=n_pos > 0)


AP_FUNCTIONS = {"trapezoid": average_precision_trapezoid, "standard": average_precision_standard}


def recall_at_k(ranks: np.ndarray, k: int) -> np.ndarray:
    """R@k per query: positives in the top k over all positives (the reference adds 1e-5 below)."""
    valid = ranks != _PAD
    return (valid & (ranks < k)).sum(axis=1) / (valid.sum(axis=1) + 1e-5)


def precision_at_k(ranks: np.ndarray, k: int) -> np.ndarray:
    """P@k per query, as the reference: positives in the top k over min(n_pos, k) (+1e-5)."""
    valid = ranks != _PAD
    return (valid & (ranks < k)).sum(axis=1) / (np.minimum(valid.sum(axis=1), k) + 1e-5)


def summarize(ap: np.ndarray, instances) -> dict:
    """mAP (mean over queries), mmAP (mean over instances of the instance's mean AP; the paper's
    headline number) and minmAP (mean over instances of the instance's minimum AP)."""
    ap = np.asarray(ap, dtype=np.float64)
    _, inverse = np.unique(np.asarray(instances), return_inverse=True)
    n_inst = inverse.max() + 1 if len(inverse) else 0
    sums = np.bincount(inverse, weights=ap, minlength=n_inst)
    counts = np.bincount(inverse, minlength=n_inst)
    mins = np.full(n_inst, np.inf)
    np.minimum.at(mins, inverse, ap)
    return {"mAP": float(ap.mean()), "mmAP": float((sums / counts).mean()), "minmAP": float(mins.mean())}
