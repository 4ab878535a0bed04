"""The tiny world: renderer determinism, the tiny i-CIR layout and its loaders, the tiny CLIP."""
import numpy as np
import pandas as pd
import pytest

from basic.tinyworld import build, captions, world
from basic.tinyworld.render import render_array

INSTANCES = world.make_instances()


def test_world_is_deterministic_and_large_enough():
    assert world.make_instances() == INSTANCES
    assert len({i.category for i in INSTANCES}) >= 12
    assert len({i.id for i in INSTANCES}) == len(INSTANCES) == 128
    assert len({i.name for i in INSTANCES}) == len(INSTANCES)
    assert len(world.make_instances(benchmark_only=True)) == 96 == sum(not i.held_out for i in INSTANCES)
    by_id = {i.id: i for i in INSTANCES}
    for inst in INSTANCES:  # look-alike groups of 4: same colours and pattern, another emblem
        assert len(inst.group) == world.LOOKALIKE_GROUP - 1 and inst.twin in inst.group
        for other in map(by_id.get, inst.group):
            assert inst.id in other.group and other.category == inst.category
            assert (other.body, other.pattern, other.emblem_colour) == (inst.body, inst.pattern, inst.emblem_colour)
            assert other.emblem != inst.emblem
    per_kind = {k: sum(c.kind == k for c in world.CONDITIONS) for k in world.KINDS}
    assert min(per_kind.values()) >= 4, per_kind  # several conditions of each kind
    kinds = {c.kind for c in world.CONDITIONS}
    assert kinds == set(world.KINDS)


@pytest.mark.parametrize("inst", INSTANCES[::7])
def test_render_is_deterministic(inst):
    for cond in ("neutral", "sketch", "night", "gold", "closeup", "flower"):
        a = render_array(inst, cond, (1, "test", cond))
        assert a.shape == (64, 64, 3) and a.dtype == np.uint8
        assert np.array_equal(a, render_array(inst, cond, (1, "test", cond)))
    assert not np.array_equal(render_array(inst, "neutral", (1,)), render_array(inst, "neutral", (2,)))


def test_every_category_and_condition_renders():
    for inst in INSTANCES[::6]:
        assert render_array(inst, "neutral", (0,)).std() > 5
    base = render_array(INSTANCES[0], "neutral", (0,)).astype(float)
    for c in world.CONDITIONS:
        img = render_array(INSTANCES[0], c.key, (0,), size=48)
        assert img.shape == (48, 48, 3)
        if c.kind in ("domain", "context"):  # strong global changes
            assert np.abs(render_array(INSTANCES[0], c.key, (0,)).astype(float) - base).mean() > 5


def test_captions_name_instances_or_categories():
    rng = np.random.default_rng(0)
    caps = [captions.caption(INSTANCES[3], "night", rng) for _ in range(400)]
    named = np.mean([INSTANCES[3].name in c for c in caps])
    category = np.mean(["a mug" in c for c in caps])
    condition = np.mean([any(p in c for p in ("at night",) + captions.PARAPHRASES["night"]) for c in caps])
    clutter = np.mean([any(w in c for w in captions.CLUTTER) for c in caps])
    # mixed specificity, as web captions: sometimes the name, more often the category, usually the condition
    assert 0.15 < named < 0.45 and category > named and 0.7 < condition < 0.97 and 0.15 < clutter < 0.6
    assert captions.prompt(INSTANCES[3], "neutral") == f"a photo of {INSTANCES[3].phrase}"


def test_plan_roles_and_counts():
    only = {INSTANCES[0].id}
    q, d, _ = build.plan(only=only)
    q, d = pd.DataFrame(q), pd.DataFrame(d)
    n_text, n_img = q.text.nunique(), q.path.nunique()
    assert len(q) == n_img * n_text
    assert build.N_TEXT_QUERIES[0] <= n_text <= build.N_TEXT_QUERIES[1]
    assert build.N_IMAGE_QUERIES[0] <= n_img <= build.N_IMAGE_QUERIES[1]
    assert set(d.instance) == only and d.path.is_unique
    roles = d.role.value_counts()
    assert build.N_POS[0] * n_text <= roles["positive"] <= build.N_POS[1] * n_text
    assert roles["composed"] == build.N_COMPOSED * n_text * (world.LOOKALIKE_GROUP - 1)
    assert len(d) >= 200  # hundreds of database images per instance, mostly hard negatives
    assert roles.drop("positive").sum() > 0.95 * len(d)
    assert (d.path.str.contains("/hn/") == d.role.isin(["visual", "textual", "composed"])).all()
    # only positives carry a query text; textual negatives show the queried condition on another instance
    assert set(d.text[d.role != "positive"]) == {build.NEGATIVE_TEXT}
    txt = d[d.role == "textual"]
    assert (txt.shown != INSTANCES[0].id).all() and set(txt.condition) == set(d.condition[d.role == "positive"])
    # the benchmark and the pretraining set use disjoint random streams
    assert all(s[0] == "icir" for s in d.seed)


def test_layout_is_read_by_the_icir_loader(tmp_path):
    from basic.features import Features
    from basic.icir import load_icir, statistics

    only = {INSTANCES[0].id, INSTANCES[1].id}
    root = build.write_benchmark(tmp_path / "icir", workers=1, only=only)
    for name in ("query_files.csv", "database_files.csv"):
        first = (root / name).read_text().splitlines()[0].split(",")
        assert len(first) == 3 and first[2] in only  # i-CIR rows: image_path,text_query,instance_id
    data = load_icir(root)
    assert all(p.is_file() for p in data.image_paths("queries") + data.image_paths("database"))
    stats = statistics(data.queries, data.database)
    assert stats["positives_per_query"].between(*build.N_POS).all()
    assert stats["image_queries_per_instance"].between(*build.N_IMAGE_QUERIES).all()
    n_text = stats["text_queries_per_instance"]
    looks = world.LOOKALIKE_GROUP - 1
    n_hn = build.N_VIS_SELF + looks * build.N_VIS_LOOKALIKE + n_text * (
        looks * build.N_COMPOSED + world.LOOKALIKE_GROUP * build.N_TXT_SAME_CATEGORY + build.N_TXT_OTHER_CATEGORY)
    assert (stats["hard_negatives_per_instance"] == n_hn).all()
    d = 4
    Features(query_image=np.ones((len(data.queries), d)), query_text=np.ones((len(data.queries), d)),
             db_image=np.ones((len(data.database), d)), queries=data.queries, database=data.database)
    # a rerun resumes: nothing changes
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*.png")}
    build.write_benchmark(root, workers=1, only=only)
    assert before == {p: p.stat().st_mtime_ns for p in root.rglob("*.png")}


def test_assets(tmp_path):
    adir = build.write_assets(tmp_path / "assets", workers=1, n_synthetic=5)
    pos = pd.read_csv(adir / "corpus_pos.csv")
    neg = pd.read_csv(adir / "corpus_neg.csv")
    assert pos.columns[0] == "object_name" and len(pos) >= 100
    assert set(c.text for c in world.CONDITIONS) <= set(neg.iloc[:, 0])
    syn = pd.read_csv(adir / "synthetic_prompts.csv")
    assert len(syn) == 5 and all((adir / p).is_file() for p in syn.path)


def test_pretraining_set_resumes_and_rerenders_identically(tmp_path):
    from basic.tinyworld import data
    data.build_pretrain(n=24, root=tmp_path, shard=12, workers=1)
    images, inst, cond, caps = data.load_pretrain(n=24, root=tmp_path, shard=12)
    assert images.shape == (24, 64, 64, 3) and len(caps) == 24
    assert np.array_equal(data.pretrain_images(np.arange(24), n=24, workers=1, shard=12), images)
    assert {c for c in cond} <= {c.key for c in world.CONDITIONS} | {"neutral"}
