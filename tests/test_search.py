"""basic.search: the global database, distractors, the index backends and the candidate set."""
import json

import numpy as np
import pytest

from basic.cli import main
from basic.config import Config, preset
from basic.features import Features, FeaturesError
from basic.retrieval import evaluate
from basic.search import SearchError, SearchOptions, evaluate_search

from conftest import golden_cases, make_features

try:
    import faiss
    HAVE_FAISS = True
    faiss.omp_set_num_threads(1)      # tiny indexes: OpenMP threads only spin on a loaded machine
except ImportError:
    HAVE_FAISS = False
needs_faiss = pytest.mark.skipif(not HAVE_FAISS, reason="faiss-cpu is not installed (pip install 'basic[scale]')")
GOLDEN = golden_cases()
CONFIGS = [preset("basic"), preset("product"), preset("image"), preset("text"), preset("sum"),
           Config(query_expansion=False), Config(min_normalize=False, harris_lambda=0.0)]


def as_one_database(features: Features) -> Features:
    """The global search of ``features`` written as a per-instance one: one instance, texts made unique
    per instance so that the positives stay the same."""
    q, d = features.queries.copy(), features.database.copy()
    q["text"], d["text"] = q.instance + "|" + q.text, d.instance + "|" + d.text
    q["instance"], d["instance"] = "all", "all"
    return features.replace(queries=q, database=d)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.method + c.letters)
def test_global_exhaustive_equals_one_big_instance(config):
    f = make_features(seed=3, instances=4, db_per=30)
    glob = evaluate_search(f, config, SearchOptions(database="global", candidates=None, chunk_rows=17))
    ref = evaluate(as_one_database(f), config)
    np.testing.assert_allclose(glob.ap, ref.ap, atol=1e-9)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.method + c.letters)
def test_instance_mode_without_distractors_equals_retrieval(config):
    f = make_features(seed=5)
    ref = evaluate(f, config)
    for k in (None, 1000):
        got = evaluate_search(f, config, SearchOptions(database="instance", candidates=k))
        np.testing.assert_allclose(got.ap, ref.ap, atol=1e-9)


def test_candidate_set_covering_everything_is_exhaustive_and_small_sets_lose():
    f = make_features(seed=7, instances=5, db_per=40)
    full = evaluate_search(f, "basic", SearchOptions(candidates=None))
    assert np.allclose(evaluate_search(f, "basic", SearchOptions(candidates=len(f.db_image))).ap, full.ap)
    small = evaluate_search(f, "product", SearchOptions(candidates=3))
    exhaustive = evaluate_search(f, "product", SearchOptions(candidates=None))
    # positives outside the candidates take the last ranks; the candidate set changes the result
    n, pad = len(f.db_image), np.iinfo(np.int64).max
    last = small.ranks[:, -1][small.ranks[:, -1] != pad]
    assert (last == n - 1).all() and abs(small.mAP - exhaustive.mAP) > 1e-3


def test_distractors_are_never_positive_and_only_push_positives_down():
    f = make_features(seed=11)
    rng = np.random.default_rng(0)
    distractors = rng.normal(size=(300, f.dim)).astype(np.float16)      # float16 is allowed
    for database in ("instance", "global"):
        opts = SearchOptions(database=database, candidates=None)
        base = evaluate_search(f, "product", opts)
        more = evaluate_search(f, "product", opts, distractors=distractors)
        assert (base.ranks == np.iinfo(np.int64).max).sum() == (more.ranks == np.iinfo(np.int64).max).sum()
        assert np.all(more.ranks >= base.ranks) and np.all(more.ap <= base.ap + 1e-12)
        assert more.mAP < base.mAP
    # a distractor identical to a positive ties with it and ranks after it (row order), never counts
    pos_row = int(np.flatnonzero((f.database.text == f.queries.text[0]) & (f.database.instance == f.queries.instance[0]))[0])
    copy = evaluate_search(f, "image", SearchOptions(candidates=None), distractors=f.db_image[[pos_row]])
    assert copy.ranks.shape == evaluate_search(f, "image", SearchOptions(candidates=None)).ranks.shape


def test_streaming_chunks_do_not_change_results():
    f = make_features(seed=13, instances=3, db_per=50)
    dis = np.random.default_rng(1).normal(size=(500, f.dim)).astype(np.float32)
    for k in (None, 20):
        a = evaluate_search(f, "basic", SearchOptions(candidates=k, chunk_rows=33), distractors=dis)
        b = evaluate_search(f, "basic", SearchOptions(candidates=k), distractors=dis)
        np.testing.assert_allclose(a.ap, b.ap, atol=1e-9)


@needs_faiss
@pytest.mark.skipif(not GOLDEN, reason="no golden case folder (../shared/golden or $BASIC_GOLDEN_DIR)")
@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.name)
def test_golden_global_flat_equals_exact(case):
    f = Features.load(case)
    checked = 0
    for expected in sorted((case / "expected").glob("*.json")):
        config = Config.from_dict(json.loads(expected.read_text()))
        if config.is_basic and config.center and config.center_images_with == "database":
            continue                                   # per-instance centring: refused globally (tested below)
        for k in (20, None):
            res = {idx: evaluate_search(f, config, SearchOptions(database="global", index=idx, candidates=k))
                   for idx in ("exact", "flat")}
            for key in ("mAP", "mmAP"):
                assert abs(getattr(res["exact"], key) - getattr(res["flat"], key)) <= 1e-6, (expected.stem, k, key)
        checked += 1
    assert checked >= 1


def clustered_rows(seed: int, clusters: int, n: int, noise: float, dtype, d: int = 32):
    """Rows drawn around random cluster centres (the structure an IVF index exploits)."""
    from basic.search import Rows
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    x = centres[rng.integers(clusters, size=n)] + noise * rng.normal(size=(n, d))
    return Rows([("db", x.astype(dtype))])


def recall_of(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each row of ``exact`` (ids) that ``found`` contains."""
    return float(np.mean([len(set(e) & set(f)) / len(e) for e, f in zip(exact, found)]))


@needs_faiss
def test_ivfpq_finds_most_exact_neighbours():
    from basic.search import build_index
    rows = clustered_rows(0, 50, 6000, 0.3, np.float32)
    q = rows.block(0, 100)
    exact = build_index(rows, 0, SearchOptions(index="exact"))
    ivf = build_index(rows, 0, SearchOptions(index="ivfpq", nlist=16, m=8, nbits=6, nprobe=8))
    e, _ = exact.search(q, 10)
    a, _ = ivf.search(q, 100)          # PQ scores re-ranked exactly: top-100 approximate ⊇ top-10 exact
    recall = recall_of(a, e)
    assert recall > 0.9


@needs_faiss
def test_fast_scan_ivfpq_with_refine_returns_exact_scores_and_recovers_the_exact_top_k():
    from basic.search import build_index
    rows = clustered_rows(1, 40, 5000, 0.4, np.float16)
    q = rows.block(0, 60)
    e, _ = build_index(rows, 0, SearchOptions(index="exact")).search(q, 10)
    opts = SearchOptions(index="ivfpq", nlist=8, m=8, nbits=4, nprobe=8, refine=300)
    ivf = build_index(rows, 0, opts)
    assert type(ivf.index).__name__ == "IndexIVFPQFastScan"
    assert build_index(rows, 0, SearchOptions(index="ivfpq", nlist=8, nprobe=8)).options.m == 8   # d / 4
    ids, s = ivf.search(q, 10)
    refined = recall_of(ids, e)
    raw = ivf.index.search(q, 10)[1]                    # the 4-bit PQ ranking alone
    raw_recall = recall_of(raw, e)
    assert refined >= 0.98 and refined > raw_recall
    np.testing.assert_allclose(s, np.einsum("qd,qkd->qk", q, rows.gather(ids)), rtol=0, atol=1e-5)
    assert (np.diff(s, axis=1) <= 0).all()              # best first
    no_refine = build_index(rows, 0, SearchOptions(index="ivfpq", nlist=8, m=8, nbits=4, nprobe=8, refine=1))
    np.testing.assert_array_equal(no_refine.search(q, 10)[0], raw)


def test_bad_pq_options_are_refused():
    for bad in ({"nbits": 0}, {"refine": 0}, {"refine": 2.5}, {"nbits": True}):
        with pytest.raises(SearchError, match="must be an integer >= 1"):
            SearchOptions(index="ivfpq", **bad)
    with pytest.raises(SearchError, match="nbits=17"):
        SearchOptions(index="ivfpq", nbits=17)


def test_bad_search_options_are_refused():
    with pytest.raises(SearchError, match="nprobe=64 is greater than nlist=16"):
        SearchOptions(index="ivfpq", nlist=16, nprobe=64)
    with pytest.raises(SearchError, match="database must be one of"):
        SearchOptions(database="galaxy")
    f = make_features()
    with pytest.raises(FeaturesError, match="d=8, but the benchmark features have d=16"):
        evaluate_search(f, "product", SearchOptions(), distractors=np.ones((5, 8), np.float32))
    with pytest.raises(Exception, match="center_images_with='database'"):
        evaluate_search(f, Config(center_images_with="database"), SearchOptions())


@needs_faiss
def test_ivfpq_on_a_database_too_small_to_train_is_refused():
    f = make_features()
    with pytest.raises(SearchError, match="too small to train an IVF-PQ index"):
        evaluate_search(f, "product", SearchOptions(index="ivfpq", nlist=1024, m=4, nprobe=8))
    with pytest.raises(SearchError, match="m=5 must divide the dimension d=16"):
        evaluate_search(f, "product", SearchOptions(index="ivfpq", nlist=2, m=5, nprobe=1))


# ----------------------------------------------------------------------------- command line
def _save(tmp_path, features, name):
    return str(features.save(tmp_path / name))


def test_cli_default_is_unchanged_and_global_runs(tmp_path, capsys):
    folder = _save(tmp_path, make_features(seed=2), "bench")
    assert main(["evaluate", folder, "--preset", "product", "--json", str(tmp_path / "a.json")]) == 0
    plain = capsys.readouterr().out
    assert main(["evaluate", folder, "--preset", "product", "--database", "instance",
                 "--json", str(tmp_path / "b.json")]) == 0
    assert capsys.readouterr().out.replace("b.json", "a.json") == plain
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert "database" not in plain
    assert main(["evaluate", folder, "--preset", "product", "--database", "global", "--candidates", "all"]) == 0
    out = capsys.readouterr().out
    assert "global" in out and "exhaustive" in out


def test_cli_errors_name_the_problem(tmp_path, capsys):
    folder = _save(tmp_path, make_features(seed=2), "bench")
    other = make_features(seed=2, d=8)
    dis = _save(tmp_path, other.replace(query_image=other.query_image[:0], query_text=other.query_text[:0],
                                        query_text_context=None, queries=other.queries[:0]), "dis8")
    assert main(["evaluate", folder, "--distractors", dis]) == 2
    assert "dimension d=8 but the benchmark features have d=16" in capsys.readouterr().err
    assert main(["evaluate", folder, "--database", "global", "--index", "ivfpq", "--nlist", "8",
                 "--nprobe", "9"]) == 2
    assert "nprobe=9 is greater than nlist=8" in capsys.readouterr().err
    assert main(["evaluate", folder, "--database", "global", "--candidates", "many"]) == 2
    assert "--candidates must be a positive integer or 'all'" in capsys.readouterr().err
    if HAVE_FAISS:
        assert main(["evaluate", folder, "--database", "global", "--index", "ivfpq", "--m", "4"]) == 2
        assert "too small to train" in capsys.readouterr().err
    assert main(["evaluate", folder, "--database", "global", "--index", "ivfpq", "--refine", "0"]) == 2
    assert "refine must be an integer >= 1, got 0" in capsys.readouterr().err
    assert main(["evaluate", folder, "--database", "global", "--index", "ivfpq", "--nbits", "20"]) == 2
    assert "nbits=20" in capsys.readouterr().err
