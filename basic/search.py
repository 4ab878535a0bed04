"""Search at scale: one global database, distractors, index backends, BASIC scored on a candidate set.

``basic.retrieval`` ranks each query against its own instance's database with dense products (i-CIR's
protocol, and the default). This module ranks against something larger:

* ``database="global"``: every query ranks the union of all instances' databases (semantic-level CIR);
* ``distractors``: extra rows (a features folder's ``db_image``, float16 and memory-mapped allowed) that
  join what every query ranks and are never positive. With ``database="instance"`` a query ranks its own
  instance's database plus all distractors (the distractor curve).

Positives keep i-CIR's rule: a benchmark row with the query's instance and text.

How a query is scored (``SearchOptions``):

* An *index* over the unit-normalised rows answers top-K inner-product queries: ``exact`` (numpy, streamed
  in chunks), ``flat`` (``faiss.IndexFlatIP``) or ``ivfpq`` (FAISS IVF-PQ: ``nlist``, ``m``, ``nbits``,
  ``nprobe``; ``nbits`` = 4 is FAISS's fast-scan IVF-PQ, ``IndexIVFPQFastScan``). IVF-PQ has a refine stage:
  asked for k < ``refine`` neighbours, it takes its own top-``refine`` and re-ranks them by exact inner
  products read from the stored rows (memory-mapped float16 allowed), like ``faiss.IndexRefineFlat`` without
  a second float copy of the database in RAM.
  Centering subtracts the same μ·a from every score of a query, so the index ranks centred scores too.
* Query expansion takes its k neighbours from the index (their similarities are recomputed exactly).
* ``candidates=K``: BASIC's two scores are computed exactly on the union of the image-side and the
  text-side top-K (plus the query's own instance rows in instance mode), then fused. Rows outside the
  candidate set are ranked after every candidate; a positive outside it takes the worst ranks left, so it
  adds (almost) nothing to AP: the loss of the candidate set, which ``candidates=None`` (exhaustive)
  measures.
* ``candidates=None`` (exhaustive): every row is scored exactly, streamed chunk by chunk; the rank of each
  positive is counted chunk by chunk, the i-CIR way (ties broken by row order).

No queries × database matrix larger than one chunk is ever held; memory grows with the database only
through the index and the memory-mapped pages.
"""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

import numpy as np

from . import equations as eq
from .config import Config, ConfigError
from .features import Features, FeaturesError
from .methods import get_method
from .metrics import AP_FUNCTIONS, _PAD
from .retrieval import Block, Result, _distinct_rows, _require, fuse, label_codes, prepare

INDEXES = ("exact", "flat", "ivfpq")
DATABASES = ("instance", "global")
CHUNK_CELLS = 1 << 24          # at most this many float32 scores per chunk (64 MB)


class SearchError(ValueError):
    """A search that cannot run as asked; the message says what to change."""


@dataclass(frozen=True)
class SearchOptions:
    """How to search: which database, which index, how many candidates (None = exhaustive)."""
    database: str = "global"
    index: str = "exact"
    candidates: int | None = 1000
    nlist: int = 256
    m: int | None = None               # PQ sub-vectors; None: d / 4 (4 dimensions per sub-vector, 192 at d = 768)
    nbits: int = 4                     # 4: fast-scan IVF-PQ (IndexIVFPQFastScan); otherwise IndexIVFPQ
    nprobe: int = 256
    refine: int = 1000                 # IVF-PQ shortlist re-ranked exactly when fewer neighbours are asked
    train_size: int | None = None      # IVF-PQ training sample (default: all rows up to 64·nlist)
    chunk_rows: int | None = None      # rows per streamed chunk (default: CHUNK_CELLS / queries)
    seed: int = 0

    def __post_init__(self):
        if self.database not in DATABASES:
            raise SearchError(f"database must be one of {DATABASES}, got {self.database!r}")
        if self.index not in INDEXES:
            raise SearchError(f"index must be one of {INDEXES}, got {self.index!r}")
        if self.candidates is not None and (int(self.candidates) != self.candidates or self.candidates < 1):
            raise SearchError(f"candidates must be a positive integer or None (exhaustive), got {self.candidates}")
        for name in ("nlist", "m", "nprobe", "nbits", "refine"):
            value = getattr(self, name)
            if name == "m" and value is None:
                continue
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise SearchError(f"{name} must be an integer >= 1, got {value!r}")
        if self.nbits > 16:
            raise SearchError(f"nbits={self.nbits}: PQ codes of more than 16 bits per sub-vector cannot be trained "
                              "(2^nbits centroids each); use --nbits 4 (fast scan) or 8")
        if self.index == "ivfpq" and self.nprobe > self.nlist:
            raise SearchError(f"nprobe={self.nprobe} is greater than nlist={self.nlist}: an IVF index has only "
                              f"nlist inverted lists to probe; lower --nprobe to at most {self.nlist} or raise --nlist")


# ----------------------------------------------------------------------------- the rows
class Rows:
    """Several row blocks (the benchmark's db_image, then distractors) seen as one (N, d) database.

    Blocks may be float16/float32 and memory-mapped; rows come out unit-normalised float32."""

    def __init__(self, parts: list[tuple[str, np.ndarray]]):
        self.names = [name for name, _ in parts]
        self.parts = [a for _, a in parts]
        self.offsets = np.cumsum([0] + [len(a) for a in self.parts])
        self.n = int(self.offsets[-1])
        self.d = int(self.parts[0].shape[1])

    def _normalise(self, x: np.ndarray, ids: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))
        bad = ~np.isfinite(norms) | (norms <= 1e-12)
        if bad.any():
            i = int(ids[np.flatnonzero(bad)[0]])
            p = int(np.searchsorted(self.offsets, i, side="right") - 1)
            raise eq.InputError(f"{self.names[p]}: row {i - self.offsets[p]} is NaN, infinite or zero; every "
                                "feature vector must be finite and non-zero (re-extract it or drop the row)")
        return x / norms[:, None]

    def block(self, a: int, b: int) -> np.ndarray:
        """Normalised rows a..b-1 (float32)."""
        out = []
        for p, part in enumerate(self.parts):
            lo, hi = max(a, self.offsets[p]), min(b, self.offsets[p + 1])
            if lo < hi:
                out.append(part[lo - self.offsets[p]:hi - self.offsets[p]])
        x = out[0] if len(out) == 1 else np.concatenate(out)
        return self._normalise(x, np.arange(a, b))

    def gather(self, ids: np.ndarray) -> np.ndarray:
        """Normalised rows for an array of ids (any shape; -1 gives a zero row)."""
        flat = ids.reshape(-1)
        valid = flat >= 0
        uniq, inverse = np.unique(flat[valid], return_inverse=True)   # sorted reads of memory maps
        rows = np.empty((len(uniq), self.d), np.float32)
        part_of = np.searchsorted(self.offsets, uniq, side="right") - 1
        for p in np.unique(part_of):
            sel = part_of == p
            rows[sel] = self.parts[p][uniq[sel] - self.offsets[p]]
        rows = self._normalise(rows, uniq) if len(uniq) else rows
        out = np.zeros((len(flat), self.d), np.float32)
        out[valid] = rows[inverse]
        return out.reshape(ids.shape + (self.d,))


def _chunk(options: SearchOptions, n_queries: int) -> int:
    return options.chunk_rows or max(256, CHUNK_CELLS // max(1, n_queries))


# ----------------------------------------------------------------------------- index backends
class ExactIndex:
    """Exact top-K inner products over rows start..N-1 of ``rows``, numpy, streamed in chunks."""

    def __init__(self, rows: Rows, start: int, options: SearchOptions):
        self.rows, self.start, self.options = rows, start, options
        self.size = rows.n - start

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        q = len(queries)
        best_s = np.full((q, 0), -np.inf, np.float32)
        best_i = np.zeros((q, 0), np.int64)
        step = _chunk(self.options, q)
        for a in range(self.start, self.rows.n, step):
            b = min(a + step, self.rows.n)
            s = queries @ self.rows.block(a, b).T
            if s.shape[1] > k:
                part = np.argpartition(-s, k - 1, axis=1)[:, :k]
                s, ids = np.take_along_axis(s, part, axis=1), part + a
            else:
                ids = np.broadcast_to(np.arange(a, b), s.shape)
            s, ids = np.concatenate([best_s, s], axis=1), np.concatenate([best_i, ids], axis=1)
            if s.shape[1] > k:
                part = np.argpartition(-s, k - 1, axis=1)[:, :k]
                s, ids = np.take_along_axis(s, part, axis=1), np.take_along_axis(ids, part, axis=1)
            best_s, best_i = s, ids
        return best_i, best_s


def default_m(d: int) -> int:
    """PQ sub-vectors when --m is not given: the largest divisor of d that is at most d / 4."""
    return max(x for x in range(1, max(1, d // 4) + 1) if d % x == 0)


def _faiss():
    try:
        import faiss
    except ImportError:
        raise SearchError("the FAISS index backends need faiss-cpu: pip install 'basic[scale]' "
                          "(or pip install faiss-cpu), or use --index exact") from None
    return faiss


class FaissIndex:
    """``flat`` (IndexFlatIP) or ``ivfpq`` (IndexIVFPQ, or IndexIVFPQFastScan for nbits = 4; inner product)
    over rows start..N-1, IVF-PQ with an exact refine stage (``SearchOptions.refine``)."""

    def __init__(self, rows: Rows, start: int, options: SearchOptions):
        faiss = _faiss()
        self.rows, self.start, self.options = rows, start, options
        self.size = n = rows.n - start
        d = rows.d
        if options.index == "flat":
            self.index = faiss.IndexFlatIP(d)
        else:
            o = dataclasses.replace(options, m=options.m or default_m(d))
            self.options = o
            if d % o.m:
                raise SearchError(f"IVF-PQ splits each vector into m sub-vectors: m={o.m} must divide the "
                                  f"dimension d={d}; pick --m among {[x for x in range(1, d + 1) if d % x == 0][-8:]}")
            need = max(o.nlist, 2 ** o.nbits)
            if n < need:
                raise SearchError(
                    f"a database of {n} items is too small to train an IVF-PQ index with nlist={o.nlist} and "
                    f"nbits={o.nbits}: k-means needs at least max(nlist, 2^nbits) = {need} training vectors "
                    "(39 per list or more is better); use --index flat or exact, or lower --nlist")
            self.quantizer = faiss.IndexFlatIP(d)
            kind = faiss.IndexIVFPQFastScan if o.nbits == 4 else faiss.IndexIVFPQ
            self.index = kind(self.quantizer, d, o.nlist, o.m, o.nbits, faiss.METRIC_INNER_PRODUCT)
            self.index.cp.seed = o.seed
            self._train()
            self.index.nprobe = o.nprobe
        step = max(1024, CHUNK_CELLS // d)
        for a in range(start, rows.n, step):
            self.index.add(rows.block(a, min(a + step, rows.n)))

    def _train(self):
        o, n = self.options, self.size
        size = min(n, o.train_size or max(64 * o.nlist, 2 ** o.nbits * 64))
        rng = np.random.default_rng(o.seed)
        ids = np.sort(rng.choice(n, size=size, replace=False)) + self.start
        self.index.train(self.rows.gather(ids))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        shortlist = min(self.size, self.options.refine) if self.options.index == "ivfpq" else k
        s, ids = self.index.search(queries, max(k, shortlist))
        ids = np.where(ids >= 0, ids + self.start, -1)
        if shortlist > k:
            ids, s = refine(queries, ids, self.rows, k)
        return ids, s


def refine(queries: np.ndarray, ids: np.ndarray, rows: Rows, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top-k of each query's shortlist ``ids`` by exact inner products with the stored rows."""
    exact = _gathered_scores([queries], np.arange(len(queries)), ids, rows, None)[0]
    top = np.argpartition(-exact, k - 1, axis=1)[:, :k]
    s, ids = np.take_along_axis(exact, top, axis=1), np.take_along_axis(ids, top, axis=1)
    order = np.argsort(-s, axis=1, kind="stable")
    return np.take_along_axis(ids, order, axis=1), np.take_along_axis(s, order, axis=1)


def build_index(rows: Rows, start: int, options: SearchOptions):
    """The index of ``options.index`` over rows start..N-1 (None when that range is empty)."""
    if rows.n - start == 0:
        return None
    return ExactIndex(rows, start, options) if options.index == "exact" else FaissIndex(rows, start, options)


# ----------------------------------------------------------------------------- the search problem
def load_distractors(folder, dim: int | None = None) -> np.ndarray:
    """The ``db_image`` rows of a distractor features folder (checked against the benchmark's dimension)."""
    dis = Features.load(folder)
    if dim is not None and dis.db_image.shape[1] != dim:
        raise FeaturesError(f"distractors in {folder} have dimension d={dis.db_image.shape[1]} but the benchmark "
                            f"features have d={dim}: extract the distractors with the same backbone")
    return dis.db_image


@dataclass
class Problem:
    """What every query ranks: the rows, which of them are indexed, each query's own rows and positives."""
    rows: Rows
    n_benchmark: int
    index_start: int                 # 0 (global: everything indexed) or n_benchmark (instance: distractors)
    own: np.ndarray                  # (Q, O) benchmark rows always scored exactly (instance mode), -1 padded
    positives: np.ndarray            # (Q, P) global ids of each query's positives, -1 padded
    visible: np.ndarray              # (Q,) how many rows each query ranks


def _padded(groups: list[np.ndarray]) -> np.ndarray:
    width = max((len(g) for g in groups), default=0)
    out = np.full((len(groups), width), -1, np.int64)
    for i, g in enumerate(groups):
        out[i, :len(g)] = g
    return out


def make_problem(features: Features, options: SearchOptions, distractors=None) -> Problem:
    parts = [("db_image", features.db_image)]
    if distractors is not None:
        distractors = np.asarray(distractors) if not isinstance(distractors, np.ndarray) else distractors
        if distractors.ndim != 2 or distractors.shape[1] != features.dim:
            raise FeaturesError(f"distractors have shape {distractors.shape}, d={distractors.shape[-1]}, but the benchmark features have "
                                f"d={features.dim}: extract the distractors with the same backbone")
        if not np.issubdtype(distractors.dtype, np.floating):
            raise FeaturesError(f"distractors must hold floats, got dtype {distractors.dtype}")
        if len(distractors):
            parts.append(("distractors", distractors))
    rows = Rows(parts)
    n0 = len(features.db_image)
    q_inst, d_inst, _ = label_codes(features, "instance")
    q_text, d_text, _ = label_codes(features, "text")
    order = np.argsort(d_inst, kind="stable")
    bounds = np.searchsorted(d_inst[order], np.arange(d_inst.max() + 2))
    own_rows = [order[bounds[c]:bounds[c + 1]] for c in q_inst]
    positives = _padded([r[d_text[r] == t] for r, t in zip(own_rows, q_text)])
    if options.database == "global":
        own = np.full((len(q_inst), 0), -1, np.int64)
        visible = np.full(len(q_inst), rows.n)
        start = 0
    else:
        own = _padded(own_rows)
        visible = (own >= 0).sum(axis=1) + (rows.n - n0)
        start = n0
    return Problem(rows, n0, start, own, positives, visible)


# ----------------------------------------------------------------------------- queries
@dataclass
class QueryVectors:
    """Per-query vectors of both sides and what their scores need: s = a·x̂ − a·μ, then M and the clamp."""
    image: np.ndarray | None          # (Qv, d) distinct image-side vectors
    image_of: np.ndarray              # (Q,) row of `image` for each query
    text: np.ndarray | None           # (Qt, d) distinct text-side vectors
    mean: np.ndarray | None           # μ subtracted from database rows (C), or None
    min_stats: tuple[float, float] | None
    text_of: np.ndarray | None = None  # (Q,) row of `text` for each query


def query_vectors(features: Features, config: Config, problem: Problem, index, options: SearchOptions,
                  shared=None) -> QueryVectors:
    """The image-side (after C, P, Q) and text-side (after C, X) query vectors of ``config``."""
    if config.is_basic and config.center and config.center_images_with == "database":
        raise ConfigError("center_images_with='database' centres each instance by its own database mean, which "
                          "has no meaning for a global database or distractors: use center_images_with='image_mean'")
    shared = shared or prepare(features, config)
    use_context = config.is_basic and config.contextualize
    text = _require(features, "query_text_context", "contextualisation (X)") if use_context else features.query_text
    v = eq.l2_normalize(features.query_image, "query_image")
    t = eq.l2_normalize(text, "query_text_context" if use_context else "query_text")
    v, v_of = _distinct_rows(v)
    t, t_of = _distinct_rows(t)
    sides = get_method(config.method).sides
    if not config.is_basic:
        return QueryVectors(v if "image" in sides else None, v_of, t if "text" in sides else None, None, None, t_of)
    mean = None
    if config.center:
        mean = shared.mean_image
        v, t = eq.center(v, mean), eq.center(t, shared.mean_text)
    v_hat = v if shared.projection is None else eq.project(v, shared.projection)
    if config.query_expansion:
        v_hat = _expand(v, v_hat, config, problem, index, options, mean, shared.projection, v_of)
    return QueryVectors(v_hat.astype(np.float32), v_of, t.astype(np.float32), mean, shared.min_stats, t_of)


def _expand(v, v_hat, config, problem, index, options, mean, projection, v_of):
    """Q with neighbours from the index (and the query's own rows in instance mode), similarities exact."""
    k = config.expansion_k
    groups = []
    if index is not None:
        groups.append(index.search(np.ascontiguousarray(v_hat, np.float32), k)[0])
    if problem.own.shape[1]:
        first = np.unique(v_of, return_index=True)[1]       # own rows of each distinct image row
        groups.append(problem.own[first])
    ids = np.concatenate(groups, axis=1) if len(groups) > 1 else groups[0]
    sims = _side_scores(v_hat, ids, problem.rows, mean, options)
    if (ids >= 0).sum(axis=1).min() < k:
        raise eq.InputError(f"query expansion needs {k} database items but a query ranks only "
                            f"{int((ids >= 0).sum(axis=1).min())}; lower expansion_k or switch query_expansion off")
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    top_ids, top_sims = np.take_along_axis(ids, top, axis=1), np.take_along_axis(sims, top, axis=1)
    neighbours = problem.rows.gather(top_ids)
    if mean is not None:
        neighbours -= mean
    return eq.expanded_query(v, neighbours, top_sims, projection, config.expansion_beta)


def _side_scores(a: np.ndarray, ids: np.ndarray, rows: Rows, mean, options: SearchOptions) -> np.ndarray:
    """a_q · (x̂_i − μ) for the ids of each query row (-inf where ids = -1)."""
    return _gathered_scores([a], np.arange(len(a)), ids, rows, mean)[0]


def _gathered_scores(sides: list[np.ndarray], q_rows: np.ndarray, ids: np.ndarray, rows: Rows, mean,
                     block_rows: int = 1 << 15) -> list[np.ndarray]:
    """For each side's vectors a (one row per query of q_rows), a_q · (x̂_i − μ) on the ids of each query.

    Queries are taken in blocks whose candidate rows are read once (sorted, from memory maps too) and scored
    densely with one matrix product per side; -inf where ids = -1."""
    outs = [np.full(ids.shape, -np.inf, np.float32) for _ in sides]
    if ids.shape[1] == 0:
        return outs
    shifts = [np.zeros(len(a), np.float32) if mean is None else a @ mean for a in sides]
    step = max(1, block_rows // ids.shape[1])
    for s in range(0, len(ids), step):
        block = ids[s:s + step]
        uniq, inverse = np.unique(block, return_inverse=True)
        inverse = inverse.reshape(block.shape)
        x = rows.gather(uniq)                             # -1 (padding) gives a zero row
        for a, shift, out in zip(sides, shifts, outs):
            dense = a[q_rows[s:s + step]] @ x.T
            out[s:s + step] = np.take_along_axis(dense, inverse, axis=1) - shift[q_rows[s:s + step], None]
    for out in outs:
        out[ids < 0] = -np.inf
    return outs


# ----------------------------------------------------------------------------- scoring
def _fused(config: Config, qv: QueryVectors, s_v, s_t) -> np.ndarray:
    """From raw side scores (centred for BASIC) to the fused score, as retrieval does per instance."""
    if config.is_basic:
        if config.min_normalize:
            s_v_min, s_t_min = qv.min_stats
            s_v = eq.min_normalize(s_v, s_v_min, s_v_min)
            s_t = eq.min_normalize(s_t, s_t_min, s_v_min if config.text_scale == "image_min" else s_t_min)
        s_v, s_t = eq.rectify(s_v), eq.rectify(s_t)
    return fuse(Block("", None, None, None, s_v, s_t), config)


def _score_ids(config, qv: QueryVectors, q_rows: np.ndarray, ids: np.ndarray, rows: Rows, options) -> np.ndarray:
    """Fused scores of queries ``q_rows`` on their ids (Q', C); -inf where ids = -1."""
    sides, names = [], []
    if qv.image is not None:
        sides.append(qv.image[qv.image_of])
        names.append("v")
    if qv.text is not None:
        sides.append(qv.text[qv.text_of])
        names.append("t")
    got = dict(zip(names, _gathered_scores(sides, q_rows, ids, rows, qv.mean)))
    s_v, s_t = (np.nan_to_num(got[k], neginf=0) if k in got else None for k in ("v", "t"))
    s = _fused(config, qv, s_v, s_t).astype(np.float32)
    s[ids < 0] = -np.inf
    return s


def _count_before(scores: np.ndarray, ids: np.ndarray, pos_s: np.ndarray, pos_i: np.ndarray) -> np.ndarray:
    """#{c : s_c > s_p} + #{c : s_c = s_p, id_c < id_p} for each positive p, per query (i-CIR tie rule).

    scores, ids: (Q, C) or ids (C,) shared; pos_s, pos_i: (Q, P). Padded ids (-1) score -inf."""
    q, c = scores.shape
    p = pos_s.shape[1]
    out = np.zeros((q, p), np.int64)
    step = max(1, CHUNK_CELLS // max(1, p * c))
    for a in range(0, q, step):
        s = scores[a:a + step, None, :]
        sp = pos_s[a:a + step, :, None]
        i = ids[None, None, :] if ids.ndim == 1 else ids[a:a + step, None, :]
        out[a:a + step] = ((s > sp) | ((s == sp) & (i < pos_i[a:a + step, :, None]) & (i >= 0))).sum(axis=2)
    return out


def _order_keys(x: np.ndarray) -> np.ndarray:
    """float32 -> int64 keys in the same order (all bits of negatives flipped, the sign bit of the rest set)."""
    u = (np.asarray(x, dtype=np.float32) + np.float32(0.0)).view(np.uint32)      # -0.0 folded into +0.0
    return np.where(u & np.uint32(0x80000000), ~u, u | np.uint32(0x80000000)).astype(np.int64)


def _count_before_sorted(scores: np.ndarray, a: int, pos_s: np.ndarray, pos_i: np.ndarray) -> np.ndarray:
    """``_count_before`` for a chunk of rows a..a+C-1 (ids ascending), by sorting each query's chunk once.

    Cost ~ Q·C·log C instead of Q·P·C: what makes many positives per query (semantic-level CIR) affordable.
    Ties (equal scores) follow the same rule: rows of the chunk before the positive count, found directly
    for the rare positives inside the chunk that tie with another row."""
    q, c = scores.shape
    p = pos_s.shape[1]
    scores = np.asarray(scores, dtype=np.float32)
    offset = np.arange(q, dtype=np.int64)[:, None] << 32
    flat = (np.sort(_order_keys(scores), axis=1) + offset).ravel()
    keys = (_order_keys(pos_s) + offset).ravel()
    right = np.searchsorted(flat, keys, side="right").reshape(q, p)
    equal = right - np.searchsorted(flat, keys, side="left").reshape(q, p)
    greater = ((np.arange(q, dtype=np.int64) + 1) * c)[:, None] - right
    col = pos_i - a
    tie = np.where(col >= c, equal, 0)                # a positive after the chunk: every equal row is before it
    inside = (col >= 0) & (col < c) & (equal > 1)      # inside: only equal rows with a smaller id
    if inside.any():
        qi, pi = np.nonzero(inside)
        columns = np.arange(c)
        step = max(1, CHUNK_CELLS // max(1, c))
        for s in range(0, len(qi), step):
            i, j = qi[s:s + step], pi[s:s + step]
            tie[i, j] = ((scores[i] == pos_s[i, j][:, None]) & (columns[None, :] < col[i, j][:, None])).sum(axis=1)
    return greater + tie


def _union(groups: list[np.ndarray]) -> np.ndarray:
    """Row-wise union of id arrays (-1 padded), as a (Q, C) array padded with -1."""
    ids = np.sort(np.concatenate(groups, axis=1), axis=1)
    dup = np.zeros(ids.shape, bool)
    dup[:, 1:] = ids[:, 1:] == ids[:, :-1]
    ids = np.where(dup, -1, ids)
    return -np.sort(-ids, axis=1)[:, :max(1, int((ids >= 0).sum(axis=1).max()))]


def _find(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each wanted id (Q, P), its column in the same row of ids (Q, C), or -1 (also for wanted = -1)."""
    out = np.full(wanted.shape, -1, np.int64)
    step = max(1, CHUNK_CELLS // max(1, wanted.shape[1] * ids.shape[1]))
    for a in range(0, len(ids), step):
        hit = (wanted[a:a + step, :, None] == ids[a:a + step, None, :]) & (wanted[a:a + step, :, None] >= 0)
        out[a:a + step] = np.where(hit.any(axis=2), hit.argmax(axis=2), -1)
    return out


def _candidate_ranks(config, qv, problem: Problem, index, options: SearchOptions) -> np.ndarray:
    """Ranks of the positives when only the candidate set is scored; misses take the worst ranks."""
    k = options.candidates
    groups = [problem.own] if problem.own.shape[1] else []
    if index is not None:
        if qv.image is not None:
            groups.append(index.search(qv.image, k)[0][qv.image_of])
        if qv.text is not None:
            groups.append(index.search(qv.text, k)[0][qv.text_of])
    cand = _union(groups)
    q_rows = np.arange(len(cand))
    scores = _score_ids(config, qv, q_rows, cand, problem.rows, options)
    pos = problem.positives
    col = _find(cand, pos)
    found = col >= 0
    # a positive's score is read from the candidates' own scores: the very same float
    pos_s = np.where(found, np.take_along_axis(scores, np.maximum(col, 0), axis=1), np.inf)
    ranks = _count_before(scores, cand, pos_s, pos)
    missed = (pos >= 0) & ~found
    # a missed positive ranks after every candidate: the worst places left, in row order
    n_missed = missed.sum(axis=1)
    slot = np.cumsum(missed, axis=1) - 1
    worst = problem.visible[:, None] - n_missed[:, None] + slot
    ranks = np.where(missed, worst, ranks)
    return np.where(pos >= 0, ranks, _PAD)


def _exhaustive_ranks(config, qv, problem: Problem, options: SearchOptions) -> np.ndarray:
    """Ranks of the positives with every row scored exactly, streamed in chunks."""
    pos = problem.positives
    q_rows = np.arange(len(pos))
    ranks = np.zeros(pos.shape, np.int64)
    rows = problem.rows
    step = _chunk(options, len(pos))
    if problem.own.shape[1]:                  # instance mode: positives are among the query's own rows
        own_s = _score_ids(config, qv, q_rows, problem.own, problem.rows, options)
        col = _find(problem.own, pos)
        pos_s = np.where(col >= 0, np.take_along_axis(own_s, np.maximum(col, 0), axis=1), np.inf)
        ranks += _count_before(own_s, problem.own, pos_s, pos)
    else:                                     # global: read each positive's score from its own chunk first
        pos_s = np.full(pos.shape, np.inf, np.float32)
        for a in range(0, problem.n_benchmark, step):
            b = min(a + step, rows.n)
            inside = (pos >= a) & (pos < b)
            if inside.any():
                fused = _chunk_scores(config, qv, rows, a, b)
                q_idx, p_idx = np.nonzero(inside)
                pos_s[q_idx, p_idx] = fused[q_idx, pos[q_idx, p_idx] - a]
    for a in range(problem.index_start, rows.n, step):
        b = min(a + step, rows.n)
        chunk = _chunk_scores(config, qv, rows, a, b)
        if 3 * pos.shape[1] < 2 * np.log2(max(b - a, 2)):       # few positives: count directly
            ranks += _count_before(chunk, np.arange(a, b), pos_s, pos)
        else:                                                    # many (semantic level): sort each chunk
            ranks += _count_before_sorted(chunk, a, pos_s, pos)
    return np.where(pos >= 0, ranks, _PAD)


def _chunk_scores(config, qv: QueryVectors, rows: Rows, a: int, b: int) -> np.ndarray:
    """Fused scores of every query on rows a..b-1 (one chunk)."""
    x = rows.block(a, b)
    s = {}
    for name, vec in (("v", qv.image), ("t", qv.text)):
        if vec is not None:
            s[name] = vec @ x.T
            if qv.mean is not None:
                s[name] -= (vec @ qv.mean)[:, None]
    s_v = s["v"][qv.image_of] if "v" in s else None
    s_t = s["t"][qv.text_of] if "t" in s else None
    return _fused(config, qv, s_v, s_t)


def evaluate_search(features: Features, config: Config | str = "basic", options: SearchOptions | None = None,
                    distractors=None, ap: str = "trapezoid", index=None, problem: Problem | None = None) -> Result:
    """Evaluate ``config`` with the search of ``options`` (global database and/or distractors).

    ``distractors``: an (N_d, d) array (float16 or a memory map allowed) or a features folder path.
    ``index``/``problem``: reuse ones built before (``build_index(problem.rows, problem.index_start, options)``).
    Returns a ``basic.retrieval.Result`` (per-query AP and positive ranks)."""
    if isinstance(config, str):
        from .config import preset
        config = preset(config)
    options = options or SearchOptions()
    if ap not in AP_FUNCTIONS:
        raise ValueError(f"unknown AP {ap!r}; choose one of {sorted(AP_FUNCTIONS)}")
    if isinstance(distractors, (str, bytes)) or hasattr(distractors, "__fspath__"):
        distractors = load_distractors(distractors, features.dim)
    problem = problem or make_problem(features, options, distractors)
    if index is None:
        index = build_index(problem.rows, problem.index_start, options)
    qv = query_vectors(features, config, problem, index, options)
    if options.candidates is None:
        ranks = _exhaustive_ranks(config, qv, problem, options)
    else:
        ranks = _candidate_ranks(config, qv, problem, index, options)
    ranks = np.sort(ranks, axis=1)
    ap_all = AP_FUNCTIONS[ap](ranks) if ranks.shape[1] else np.zeros(len(ranks))
    return Result(config, features.queries, ap_all, ranks)


# ----------------------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The search options of ``python -m basic evaluate`` (defaults keep today's per-instance evaluation)."""
    g = parser.add_argument_group("search at scale (basic.search)")
    g.add_argument("--database", default=None, choices=DATABASES,
                   help="instance: each query ranks its own instance's database (i-CIR); "
                        "global: every query ranks the union of all instances' databases. Default: the "
                        "folder's meta.json 'database' (global for semantic-level folders), else instance")
    g.add_argument("--distractors", help="features folder whose db_image rows join every query's database "
                                         "(never positive)")
    g.add_argument("--index", default="exact", choices=INDEXES, help="top-K search backend (default exact)")
    g.add_argument("--candidates", default=None,
                   help="K: score exactly the union of the image-side and text-side top-K (default 1000, or the "
                        "folder's meta.json 'candidates': 'all' for semantic-level folders); 'all' scores every "
                        "row (exhaustive)")
    d = SearchOptions()
    for name, what in (("nlist", "IVF lists"), ("m", "PQ sub-vectors, must divide d (default: d / 4)"),
                       ("nbits", "bits per PQ code; 4 = fast scan"), ("nprobe", "lists probed per query"),
                       ("refine", "shortlist re-ranked exactly when fewer neighbours are asked")):
        default = getattr(d, name)
        g.add_argument(f"--{name}", type=int, default=default,
                       help=f"ivfpq: {what}" + ("" if default is None else f" (default {default})"))


def wants_search(args) -> bool:
    return (getattr(args, "database", None) or "instance") != "instance" or bool(getattr(args, "distractors", None))


def options_from_args(args) -> SearchOptions:
    k = args.candidates if args.candidates is not None else "1000"
    if str(k).lower() == "all":
        k = None
    else:
        try:
            k = int(k)
        except ValueError:
            raise SearchError(f"--candidates must be a positive integer or 'all', got {k!r}") from None
    return SearchOptions(database=args.database or "instance", index=args.index, candidates=k, nlist=args.nlist,
                         m=args.m, nbits=args.nbits, nprobe=args.nprobe, refine=args.refine)


def describe(options: SearchOptions, n_rows: int) -> list[tuple[str, str]]:
    index = options.index + (f" (nlist {options.nlist}, m {options.m or 'd/4'}, nbits {options.nbits}, nprobe {options.nprobe}, "
                              f"refine {options.refine})"
                              if options.index == "ivfpq" else "")
    return [("database", f"{options.database}, {n_rows:,} rows"), ("index", index),
            ("candidates", "all (exhaustive)" if options.candidates is None else f"top-{options.candidates} per side")]


def with_changes(options: SearchOptions, **changes) -> SearchOptions:
    return dataclasses.replace(options, **changes)
