"""The tiny world 2.0 meets its calibration targets (baselines and geometry only; never BASIC).

Runs on the built tiny world (data/tiny or $BASIC_DATA_DIR); builds it when missing, as the notebooks would
(the nbval run that follows reuses it)."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("open_clip")


@pytest.fixture(scope="module")
def measured():
    from basic.datasets import get_dataset
    from basic.features import Features
    from basic.tinyworld.calibrate import baselines, geometry

    features = Features.load(get_dataset("tiny").prepare(quiet=True))
    return baselines(features), geometry(features), features


def test_built_features_are_version_2(measured):
    from basic.tinyworld.data import VERSION
    assert measured[2].meta["dataset_version"] == VERSION == "tiny-icir-2.0"


#: Targets version 2 misses, with the reason (docs/tinyworld_calibration.md); strict: a pass is flagged too.
KNOWN_SHORTFALLS = {
    "Text × Image / Text + Image": "the tiny CLIP's text-image similarities spread as widely as its image-image "
                                   "ones, so the plain sum is already a balanced mixture (measured 0.98, target 1.5)",
}
TARGET_NAMES = ("Text × Image mmAP", "Text × Image / Text + Image", "Text / Text × Image", "Image / Text × Image",
                "composition gain (best mixture − best single), points", "random image pairs with cosine > 0",
                "mean cosine: random image pairs − matched text-image pairs")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_SHORTFALLS[n], strict=True))
                                  if n in KNOWN_SHORTFALLS else n for n in TARGET_NAMES])
def test_calibration_target(measured, name):
    from basic.tinyworld.calibrate import targets
    base, geo, _ = measured
    by_name = {t.name: t for t in targets(base, geo)}
    assert set(by_name) == set(TARGET_NAMES)
    t = by_name[name]
    assert t.ok, f"{t.name}: {t.value:.3f} (target {t.rule})"


def test_hundreds_of_database_images_per_instance(measured):
    counts = measured[2].database.groupby("instance").size()
    assert counts.min() >= 200, counts.describe()


def test_features_of_another_version_are_rebuilt_not_used(tmp_path, monkeypatch):
    """A features folder made by tiny-icir-1.0 (or any other version) is never read: build_tiny rebuilds it."""
    import json
    import subprocess

    import numpy as np
    import pandas as pd

    from basic import datasets
    from basic.features import Features

    tiny = datasets.get_dataset("tiny", tmp_path)
    out = tiny.features_dir()
    assert datasets.TINY_VERSION in out.parts  # each version has its own folder
    f = Features(query_image=np.ones((1, 4)), query_text=np.ones((1, 4)), db_image=np.ones((1, 4)),
                 queries=pd.DataFrame({"instance": ["a"], "text": ["t"], "path": ["q.png"]}),
                 database=pd.DataFrame({"instance": ["a"], "text": ["t"], "path": ["d.png"]}),
                 meta={"dataset_version": "tiny-icir-1.0"})
    f.save(out)
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        f.replace(meta={"dataset_version": datasets.TINY_VERSION}).save(out)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(datasets.subprocess, "run", fake_run)
    assert tiny.prepare(quiet=True) == out
    assert len(calls) == 1 and "--overwrite" in calls[0]
    assert json.loads((out / "meta.json").read_text())["dataset_version"] == datasets.TINY_VERSION
    tiny.prepare(quiet=True)  # now current: kept, nothing rebuilt
    assert len(calls) == 1


def test_version_constants_agree():
    from basic import datasets
    from basic.tinyworld import data
    assert datasets.TINY_VERSION == data.VERSION
