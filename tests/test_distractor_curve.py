"""The distractor curve (basic.distractor_curve) and the tiny world's distractor generator's plan."""
import numpy as np
import pytest

from basic.distractor_curve import crossing, curve, default_counts, positives_only
from basic.config import preset

from conftest import make_features


def test_positives_only_keeps_exactly_the_asked_rows():
    f = make_features(seed=1)
    easy = positives_only(f)
    asked = set(zip(f.queries.instance, f.queries.text))
    assert set(zip(easy.database.instance, easy.database.text)) <= asked
    kept = sum((i, t) in asked for i, t in zip(f.database.instance, f.database.text))
    assert len(easy.db_image) == kept < len(f.db_image)


def test_default_counts_and_crossing():
    assert default_counts(5000) == [100, 300, 1000, 3000, 5000]
    meet = crossing([100, 1000, 10000], [50.0, 30.0, 10.0], 20.0)
    assert meet["meets"] and np.isclose(meet["count"], 10 ** 3.5)
    trend = crossing([100, 1000], [50.0, 40.0], 20.0)
    assert not trend["meets"] and np.isclose(trend["per_decade"], -10) and np.isclose(trend["count"], 1e5)
    assert crossing([100, 1000], [50.0, 60.0], 20.0)["count"] is None


def test_curve_falls_with_distractors_and_has_the_hard_negative_level():
    f = make_features(seed=4, db_per=60)
    rng = np.random.default_rng(0)
    dis = rng.normal(size=(400, f.dim)).astype(np.float16)
    table = curve(f, dis, [30, 100, 400], {"product": preset("product")})
    easy = table[table.setting == "random distractors"]
    assert list(easy["count"]) == [30, 100, 400]
    assert np.all(np.diff(easy.mmAP) <= 1e-12)       # Text x Image has no Q: more distractors never help
    assert (table.setting == "hard negatives").sum() == 1


def test_tiny_distractors_are_not_benchmark_instances_and_the_sequence_is_stable():
    pytest.importorskip("PIL")
    from basic.tinyworld import distractors, world
    bench = world.make_instances(world.WORLD_SEED)
    pool = distractors.pool()
    assert len(pool) > 10 * len(bench)
    assert not {i.name for i in pool} & {i.name for i in bench}
    assert not {distractors._look(i) for i in pool} & {distractors._look(i) for i in bench}
    assert distractors.plan(0, 50, pool)[10:] == distractors.plan(10, 50, pool)
    conditions = {c for _, _, c in distractors.plan(0, 2000, pool)}
    assert conditions == {"neutral"} | {c.key for c in world.CONDITIONS}
