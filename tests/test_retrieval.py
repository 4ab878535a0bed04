"""The pipeline: presets, switches, sweeps, and the bad inputs of the issue."""
import json

import numpy as np
import pandas as pd
import pytest

from basic import equations as eq
from basic.config import Config, ConfigError, PRESETS, components, preset
from basic.features import Features, FeaturesError
from basic.retrieval import evaluate, similarity_blocks, sweep

from conftest import make_features


def test_all_components_off_equals_product(small):
    a = evaluate(small, components(""), keep_scores=True)
    b = evaluate(small, "product", keep_scores=True)
    np.testing.assert_allclose(a.ap, b.ap)
    for inst in a.scores:
        np.testing.assert_allclose(a.scores[inst][2], b.scores[inst][2], rtol=1e-6)


def test_lambda_zero_is_product_of_normalised_scores(small):
    cfg = components("CMH").replace(harris_lambda=0.0)
    res = evaluate(small, cfg, keep_scores=True)
    for block in similarity_blocks(small, cfg):
        np.testing.assert_allclose(res.scores[block.instance][2], block.s_t * block.s_v, rtol=1e-6)


def test_each_component_changes_the_scores(small):
    base = evaluate(small, "basic", keep_scores=True)
    for letter in "CMHXPQ":
        other = evaluate(small, components("CMHXPQ".replace(letter, "")), keep_scores=True)
        diffs = [np.abs(base.scores[i][2] - other.scores[i][2]).max() for i in base.scores]
        assert max(diffs) > 1e-6, f"switching {letter} off changed nothing"


def test_every_preset_runs(small):
    for name in PRESETS:
        r = evaluate(small, name)
        assert r.ap.shape == (len(small.queries),) and np.all((r.ap >= 0) & (r.ap <= 1))


def test_perfect_features_give_ap_one():
    f = make_features(d=8)
    # database items carry their text as a one-hot direction: text-only retrieval is then perfect
    texts = sorted(set(f.database.text))
    onehot = np.eye(8, dtype=np.float32)
    db = np.stack([onehot[texts.index(t)] for t in f.database.text])
    q = np.stack([onehot[texts.index(t)] for t in f.queries.text])
    f = f.replace(db_image=db + 1e-3, query_text=q)
    assert evaluate(f, "text").ap == pytest.approx(np.ones(len(q)), abs=1e-4)


def test_sweep_reuses_and_matches_evaluate(small):
    lams = [0.0, 0.05, 0.1, 0.3]
    table = sweep(small, preset("basic"), "harris_lambda", lams)
    for lam, row in zip(lams, table.itertuples()):
        assert row.mmAP == pytest.approx(evaluate(small, preset("basic").replace(harris_lambda=lam)).mmAP)
    t2 = sweep(small, preset("basic"), "alpha", [0.0, 0.5])
    assert t2.mmAP.iloc[0] == pytest.approx(evaluate(small, preset("basic").replace(alpha=0.0)).mmAP)


def test_query_order_does_not_matter(small):
    perm = np.random.default_rng(0).permutation(len(small.queries))
    shuffled = small.replace(query_image=small.query_image[perm], query_text=small.query_text[perm],
                             query_text_context=small.query_text_context[perm],
                             queries=small.queries.iloc[perm].reset_index(drop=True))
    np.testing.assert_allclose(evaluate(shuffled, "basic").ap, evaluate(small, "basic").ap[perm], rtol=1e-5)


# ------------------------------------------------------------------------------------------ bad input
def test_dimensions_that_disagree(small):
    with pytest.raises(FeaturesError, match="dimensions disagree"):
        small.replace(corpus_pos=np.ones((5, 7), np.float32))


def test_nan_and_zero_vectors(small):
    q = small.query_image.copy(); q[2] = np.nan
    with pytest.raises(eq.InputError, match="NaN"):
        evaluate(small.replace(query_image=q), "image")
    db = small.db_image.copy(); db[5] = 0
    with pytest.raises(eq.InputError, match="row 5"):
        evaluate(small.replace(db_image=db), "basic")


def test_labels_that_do_not_line_up(small):
    with pytest.raises(FeaturesError, match="rows"):
        small.replace(queries=small.queries.iloc[:-1])


def test_instance_without_database(small):
    q = small.queries.copy(); q.loc[0, "instance"] = "ghost"
    with pytest.raises(FeaturesError, match="no database"):
        small.replace(queries=q)


def test_fewer_database_items_than_expansion(small):
    with pytest.raises(eq.InputError, match="expansion needs 100"):
        evaluate(small, preset("basic").replace(expansion_k=100))


def test_negative_lambda_unknown_preset_unknown_key():
    with pytest.raises(ConfigError, match="harris_lambda"):
        Config(harris_lambda=-0.1)
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("bassic")
    with pytest.raises(ConfigError, match="unknown config key"):
        Config.from_dict({"method": "basic", "lambda": 0.1})


def test_missing_asset_is_named(small):
    with pytest.raises(FeaturesError, match="corpus_neg"):
        evaluate(small.replace(corpus_neg=None), "basic")


# ------------------------------------------------------------------------------------------ disk + CLI
def test_save_load_roundtrip(small, tmp_path):
    small.meta = {"backbone": "test"}
    back = Features.load(small.save(tmp_path / "f"))
    np.testing.assert_array_equal(back.db_image, small.db_image)
    pd.testing.assert_frame_equal(back.queries, small.queries)
    assert back.meta == {"backbone": "test"}


def test_cli_evaluate_json(small, tmp_path, capsys):
    from basic.cli import main
    small.save(tmp_path / "f")
    assert main(["evaluate", str(tmp_path / "f"), "--preset", "basic", "--json", str(tmp_path / "o.json")]) == 0
    out = json.loads((tmp_path / "o.json").read_text())
    assert set(out) >= {"mAP", "mmAP", "minmAP", "ap", "config"} and len(out["ap"]) == len(small.queries)
    assert "mmAP" in capsys.readouterr().out
    (tmp_path / "c.json").write_text(json.dumps({"config": {"method": "basic", "project": False}}))
    assert main(["evaluate", str(tmp_path / "f"), "--config", str(tmp_path / "c.json")]) == 0
    assert main(["evaluate", str(tmp_path / "f"), "--preset", "nope"]) == 2
    assert main(["evaluate", str(tmp_path / "missing")]) == 2


def textbook_basic(f: Features, cfg: Config, instance: str) -> np.ndarray:
    """BASIC for one instance, written straight from the equations (slow, copies everything)."""
    qm = (f.queries.instance == instance).to_numpy()
    dm = (f.database.instance == instance).to_numpy()
    v = eq.l2_normalize(f.query_image[qm])
    t = eq.l2_normalize((f.query_text_context if cfg.contextualize else f.query_text)[qm])
    x = eq.l2_normalize(f.db_image[dm])
    pos, neg = eq.l2_normalize(f.corpus_pos), eq.l2_normalize(f.corpus_neg)
    si, st_ = eq.l2_normalize(f.synthetic_image), eq.l2_normalize(f.synthetic_text)
    mu_t = pos.mean(0)
    mu_v = f.image_mean if cfg.center_images_with == "image_mean" else x.mean(0)
    v, t, x = eq.center(v, mu_v), eq.center(t, mu_t), eq.center(x, mu_v)
    pos, neg, si, st_ = eq.center(pos, mu_t), eq.center(neg, mu_t), eq.center(si, mu_v), eq.center(st_, mu_t)
    p = eq.contrastive_projection(pos, neg, cfg.alpha, cfg.components)
    v_hat = eq.expand_query(eq.project(v, p), v, x, p, cfg.expansion_k, cfg.expansion_beta)
    s_v, s_t = v_hat @ x.T, t @ x.T
    sv_min, st_min = eq.min_similarities(si, st_)
    s_v = eq.rectify(eq.min_normalize(s_v, sv_min, sv_min))
    s_t = eq.rectify(eq.min_normalize(s_t, st_min, sv_min))
    return eq.harris_fusion(s_t, s_v, cfg.harris_lambda)


@pytest.mark.parametrize("images_with", ["image_mean", "database"])
def test_fast_path_equals_textbook_equations(small, images_with):
    cfg = preset("basic").replace(center_images_with=images_with, expansion_k=5)
    res = evaluate(small, cfg, keep_scores=True)
    for inst in small.queries.instance.unique():
        np.testing.assert_allclose(res.scores[inst][2], textbook_basic(small, cfg, inst), rtol=2e-4, atol=2e-5)
