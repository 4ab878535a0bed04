"""Run a configuration over a benchmark: similarities per instance, fusion, ranks, AP.

The work is split in two stages so that sweeps reuse what they can:

1. ``similarity_blocks``: for each instance, the image score s_v and text score s_t of its queries against
   its own database (after C, X, P, Q and M and the clamp at 0 for BASIC; raw cosines for baselines).
   What every instance shares (normalised corpora, the projection P, the min-normalisation statistics) is
   computed once.
2. ``fuse``: s_v and s_t become one score (image, text, sum, product, WeiCom, Harris), then the ranks of
   the positives and AP.

A sweep over λ (or WeiCom's weight) runs stage 1 once; see ``sweep``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import equations as eq
from . import validate
from .config import Config
from .features import Features, FeaturesError
from .methods import get_method
from .metrics import AP_FUNCTIONS, positive_ranks, precision_at_k, recall_at_k, summarize


@dataclass
class Block:
    """One instance: its query rows, database rows, positives and the two similarity matrices."""
    instance: str
    query_rows: np.ndarray
    db_rows: np.ndarray
    positives: np.ndarray          # (Q_i, N_i) bool
    s_v: np.ndarray | None         # (Q_i, N_i) image-side score
    s_t: np.ndarray | None         # (Q_i, N_i) text-side score


# ----------------------------------------------------------------------------- grouping
def label_codes(features: Features, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of a label column shared by queries and database: (query codes, db codes, names).

    Computed once per Features object (a format-2 folder stores them, so loading one skips this).
    """
    return features.label_codes(column)


def group_by_instance(features: Features):
    """Yield (instance, query_rows, db_rows) in sorted instance order; db_rows is a slice when contiguous."""
    q_codes, d_codes, names = label_codes(features, "instance")
    q_order = np.argsort(q_codes, kind="stable")
    q_bounds = np.searchsorted(q_codes[q_order], np.arange(len(names) + 1))
    d_order = np.argsort(d_codes, kind="stable")
    d_bounds = np.searchsorted(d_codes[d_order], np.arange(len(names) + 1))
    for i in sorted(np.unique(q_codes), key=lambda c: names[c]):
        rows = d_order[d_bounds[i]:d_bounds[i + 1]]
        if len(rows) == 0:
            raise FeaturesError(f"instance {names[i]!r} has queries but no database items")
        if rows[-1] - rows[0] + 1 == len(rows):
            rows = slice(int(rows[0]), int(rows[-1]) + 1)
        yield str(names[i]), q_order[q_bounds[i]:q_bounds[i + 1]], rows


def _as_index(rows) -> np.ndarray:
    return np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows


# ----------------------------------------------------------------------------- shared state
@dataclass
class Shared:
    """What every instance shares for one configuration: computed once, never per instance."""
    db_norms: np.ndarray
    mean_text: np.ndarray | None = None
    mean_image: np.ndarray | None = None
    projection: np.ndarray | None = None
    min_stats: tuple[float, float] | None = None
    synthetic_image: np.ndarray | None = None   # normalised, uncentred (for per-instance means)
    synthetic_text: np.ndarray | None = None


def _require(features: Features, name: str, why: str):
    value = getattr(features, name)
    if value is None:
        raise FeaturesError(f"{why} needs features.{name}, which is missing; add it to the features folder "
                            "or switch that component off")
    return value


def database_norms(features: Features) -> np.ndarray:
    """‖x‖ of every database row: stored with a format-2 folder, else computed once per Features object
    (arrays are treated as read-only). A NaN, infinite or zero row is an error naming the row."""
    return features.cached("_db_norms_checked", (features.db_image,), lambda: _checked(features))


def _checked(features: Features) -> np.ndarray:
    norms = features.database_norms()
    bad = ~np.isfinite(norms) | (norms <= 1e-12)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise eq.InputError(f"db_image: row {row} ({features.database.path.iloc[row]}) is NaN, infinite or zero; "
                            "every feature vector must be finite and non-zero (re-extract it or drop the row)")
    return norms


def prepare(features: Features, config: Config) -> Shared:
    """Compute the instance-independent parts of ``config`` on ``features`` (checks inputs too)."""
    shared = Shared(db_norms=database_norms(features))
    if not config.is_basic:
        return shared
    needs_text_mean = config.center or config.project
    if needs_text_mean:
        pos = eq.l2_normalize(_require(features, "corpus_pos", "centering/projection"), "corpus_pos")
        shared.mean_text = pos.mean(axis=0) if config.center else None
    if config.center and config.center_images_with == "image_mean":
        shared.mean_image = np.asarray(_require(features, "image_mean", "centering with the image mean"),
                                       np.float32).reshape(-1)
    if config.project:
        neg = eq.l2_normalize(_require(features, "corpus_neg", "the contrastive projection"), "corpus_neg")
        if config.center:
            pos_c, neg_c = eq.center(pos, shared.mean_text), eq.center(neg, shared.mean_text)
        else:
            pos_c, neg_c = pos, neg
        shared.projection = eq.contrastive_projection(pos_c, neg_c, config.alpha, config.components)
    if config.min_normalize:
        shared.synthetic_image = eq.l2_normalize(_require(features, "synthetic_image", "min-normalisation"),
                                                 "synthetic_image")
        shared.synthetic_text = eq.l2_normalize(_require(features, "synthetic_text", "min-normalisation"),
                                                "synthetic_text")
        if not (config.center and config.center_images_with == "database"):
            shared.min_stats = _min_stats(shared, config, shared.mean_image)
    return shared


def _min_stats(shared: Shared, config: Config, mean_image) -> tuple[float, float]:
    si, st = shared.synthetic_image, shared.synthetic_text
    if config.center:
        si, st = eq.center(si, mean_image), eq.center(st, shared.mean_text)
    return eq.min_similarities(si, st)


# ----------------------------------------------------------------------------- stage 1
def _db_dot(a: np.ndarray, db_raw: np.ndarray, norms: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
    """a · (x/|x| − μ) for every database row x, without materialising the normalised/centred database."""
    s = (db_raw @ a.T).T / norms[None, :]          # x @ aᵀ streams the database rows once
    if mean is not None:
        s -= (a @ mean)[:, None]
    return s


def similarity_blocks(features: Features, config: Config, shared: Shared | None = None) -> list[Block]:
    """Stage 1: per-instance s_v and s_t for ``config`` (BASIC: after C, X, P, Q, M and the clamp)."""
    shared = shared or prepare(features, config)
    use_context = config.is_basic and config.contextualize
    text_all = _require(features, "query_text_context", "contextualisation (X)") if use_context else features.query_text
    q_text_labels, d_text_labels, _ = label_codes(features, "text")
    blocks = []
    for name, q_rows, d_rows in group_by_instance(features):
        v = _normalized(features, features.query_image, "query_image", q_rows)
        t = _normalized(features, text_all, "query_text_context" if use_context else "query_text", q_rows)
        x_raw, norms = features.db_image[d_rows], shared.db_norms[d_rows]
        positives = q_text_labels[q_rows][:, None] == d_text_labels[d_rows][None, :]
        # i-CIR pairs each image query with several texts: score each distinct row once, then expand
        (v, v_of), (t, t_of) = _distinct_rows(v), _distinct_rows(t)
        s_v, s_t = _instance_scores(v, t, x_raw, norms, config, shared)
        s_v = None if s_v is None else s_v[v_of]
        s_t = None if s_t is None else s_t[t_of]
        blocks.append(Block(name, q_rows, _as_index(d_rows), positives, s_v, s_t))
    return blocks


def _normalized(features: Features, array: np.ndarray, name: str, rows: np.ndarray) -> np.ndarray:
    """l2_normalize(array[rows]); a bad row is reported by its row in the whole array, with its path."""
    x = np.asarray(array[rows], dtype=np.float32)
    norms = np.linalg.norm(x, axis=1)
    bad = ~np.isfinite(norms) | (norms <= 1e-12)
    if bad.any():
        row = int(np.asarray(rows)[np.flatnonzero(bad)[0]])
        raise eq.InputError(f"{name}: {validate.describe_row(features, name, row)} has zero length (or overflows); "
                            "every feature vector must be finite and non-zero (re-extract it, or drop that row "
                            "and its label)")
    return eq.l2_normalize(x, name)


def _distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of x (exact bytes) and, for each row of x, the index of its distinct row."""
    codes: dict[bytes, int] = {}
    inverse = np.fromiter((codes.setdefault(row.tobytes(), len(codes)) for row in x), np.int64, len(x))
    first = np.unique(inverse, return_index=True)[1]
    return x[first], inverse


def _instance_scores(v, t, x_raw, norms, config: Config, shared: Shared):
    """(s_v, s_t) of one instance: raw cosines of the sides the method needs, or BASIC's stage 1."""
    method = get_method(config.method)
    if not method.basic:
        sides = [a for a, side in ((v, "image"), (t, "text")) if side in method.sides]
        s = _db_dot(np.concatenate(sides) if len(sides) > 1 else sides[0], x_raw, norms, None)
        s_v = s[:len(v)] if "image" in method.sides else None
        s_t = s[len(s) - len(t):] if "text" in method.sides else None
        return s_v, s_t
    # ---- BASIC's stage 1 (C, X, P, Q, M and the clamp, as the config switches them)
    mean_image = mean_text = None
    if config.center:
        mean_text = shared.mean_text
        if config.center_images_with == "database":
            mean_image = (x_raw / norms[:, None]).mean(axis=0)
        else:
            mean_image = shared.mean_image
        v, t = eq.center(v, mean_image), eq.center(t, mean_text)
    v_hat = v if shared.projection is None else eq.project(v, shared.projection)
    if config.query_expansion:
        # neighbours of the projected query among the centred database, without centring a copy of it
        top, top_sims = eq.top_neighbours(_db_dot(v_hat, x_raw, norms, mean_image), config.expansion_k)
        neighbours = x_raw[top] / norms[top][..., None]
        if mean_image is not None:
            neighbours -= mean_image
        v_hat = eq.expanded_query(v, neighbours, top_sims, shared.projection, config.expansion_beta)
    s = _db_dot(np.concatenate([v_hat, t]), x_raw, norms, mean_image)
    s_v, s_t = s[:len(v)], s[len(v):]
    if config.min_normalize:
        stats = shared.min_stats or _min_stats(shared, config, mean_image)
        s_v_min, s_t_min = stats
        s_v = eq.min_normalize(s_v, s_v_min, s_v_min)
        s_t = eq.min_normalize(s_t, s_t_min, s_v_min if config.text_scale == "image_min" else s_t_min)
    return eq.rectify(s_v), eq.rectify(s_t)


# ----------------------------------------------------------------------------- stage 2
def fuse(block: Block, config: Config) -> np.ndarray:
    """Stage 2: one score per (query, database item) of the block, by the method's fusion (basic.methods)."""
    scores = get_method(config.method).fuse(block.s_t, block.s_v, config)
    expected = (block.s_v if block.s_v is not None else block.s_t).shape
    if getattr(scores, "shape", None) != expected:
        raise ValueError(f"method {config.method!r}: its fusion returned shape {getattr(scores, 'shape', type(scores))}, "
                         f"expected {expected} (one score per query and database item)")
    return scores


# ----------------------------------------------------------------------------- results
@dataclass
class Result:
    """Per-query AP (in the features' query order) and the ranks of each query's positives."""
    config: Config
    queries: pd.DataFrame
    ap: np.ndarray
    ranks: np.ndarray                 # (Q, P) sorted positive ranks, padded
    scores: dict | None = None        # instance -> (query_rows, db_rows, fused scores) when kept

    @property
    def mAP(self) -> float:
        return self.summary()["mAP"]

    @property
    def mmAP(self) -> float:
        return self.summary()["mmAP"]

    @property
    def minmAP(self) -> float:
        return self.summary()["minmAP"]

    def summary(self) -> dict:
        return summarize(self.ap, self.queries["instance"].to_numpy())

    def recall_at(self, k: int) -> float:
        return float(recall_at_k(self.ranks, k).mean())

    def precision_at(self, k: int) -> float:
        return float(precision_at_k(self.ranks, k).mean())

    def per_instance(self) -> pd.DataFrame:
        """Mean and minimum AP of each instance (the terms of mmAP and minmAP)."""
        frame = self.queries.assign(ap=self.ap)
        return frame.groupby("instance")["ap"].agg(["mean", "min", "count"]).rename(
            columns={"mean": "mean_ap", "min": "min_ap", "count": "queries"})

    def top(self, query_row: int, k: int = 10) -> np.ndarray:
        """Global database rows of the top-k items for one query (needs keep_scores=True)."""
        if self.scores is None:
            raise ValueError("scores were not kept: call evaluate(..., keep_scores=True)")
        instance = self.queries["instance"].iloc[query_row]
        q_rows, d_rows, s = self.scores[instance]
        row = s[int(np.flatnonzero(q_rows == query_row)[0])]
        order = np.argsort(-row, kind="stable")[:k]
        return d_rows[order]

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.summary().items()}
        out["ap"] = [float(a) for a in self.ap]
        out["config"] = self.config.to_dict()
        return out


def score_blocks(blocks: list[Block], config: Config, n_queries: int, queries: pd.DataFrame,
                 ap: str = "trapezoid", keep_scores: bool = False) -> Result:
    """Fuse, rank and score precomputed blocks (stage 2 only)."""
    if ap not in AP_FUNCTIONS:
        raise ValueError(f"unknown AP {ap!r}; choose one of {sorted(AP_FUNCTIONS)}")
    ap_all = np.zeros(n_queries)
    rank_parts, kept = [], {} if keep_scores else None
    no_positive = []
    for b in blocks:
        scores = fuse(b, config)
        validate.check_scores(scores, b.instance, b.query_rows, queries)
        no_positive.append(np.asarray(b.query_rows)[~b.positives.any(axis=1)])
        ranks = positive_ranks(scores, b.positives)
        ap_all[b.query_rows] = AP_FUNCTIONS[ap](ranks) if ranks.shape[1] else 0.0
        rank_parts.append((b.query_rows, ranks))
        if keep_scores:
            kept[b.instance] = (b.query_rows, b.db_rows, scores)
    validate.warn_no_positive(queries, np.concatenate(no_positive) if no_positive else np.zeros(0, int))
    width = max((r.shape[1] for _, r in rank_parts), default=0)
    ranks_all = np.full((n_queries, width), np.iinfo(np.int64).max, dtype=np.int64)
    for rows, r in rank_parts:
        ranks_all[rows, :r.shape[1]] = r
    return Result(config, queries, ap_all, ranks_all, kept)


def evaluate(features: Features, config: Config | str = "basic", ap: str = "trapezoid",
             keep_scores: bool = False) -> Result:
    """Evaluate one configuration (a Config or a preset name) with i-CIR's protocol."""
    if isinstance(config, str):
        from .config import preset
        config = preset(config)
    # once per Features object (and again if its labels are replaced): sweeps do not pay for it again
    features.cached("_duplicates_checked", (features.queries, features.database),
            lambda: validate.warn_duplicates(features) or True)
    blocks = similarity_blocks(features, config)
    return score_blocks(blocks, config, len(features.query_image), features.queries, ap, keep_scores)


FUSION_PARAMETERS = ("harris_lambda", "text_weight")


def sweep(features: Features, config: Config, parameter: str, values, ap: str = "trapezoid") -> pd.DataFrame:
    """mAP / mmAP / minmAP for each value of one parameter.

    Fusion parameters (λ, the text weight of the weighted fusions, and a registered method's own parameters,
    ``basic.methods``) reuse the similarities; any other parameter (alpha, components, expansion_k...)
    recomputes stage 1 per value. Returns one row per value.
    """
    values = list(values)
    rows = []
    own = get_method(config.method).params
    if parameter in FUSION_PARAMETERS or parameter in own:
        blocks = similarity_blocks(features, config)
        for value in values:
            if parameter in own:
                cfg = config.replace(options={**dict(config.options), parameter: value})
            else:
                cfg = config.replace(**{parameter: value})
            rows.append({parameter: value, **score_blocks(blocks, cfg, len(features.query_image),
                                                         features.queries, ap).summary()})
    else:
        if parameter not in {f.name for f in dataclasses.fields(Config)}:
            raise ValueError(f"unknown parameter {parameter!r}")
        for value in values:
            cfg = config.replace(**{parameter: value})
            rows.append({parameter: value, **evaluate(features, cfg, ap).summary()})
    return pd.DataFrame(rows)
