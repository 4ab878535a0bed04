"""End to end on a few instances: render -> extract through basic.extract -> Features -> card numbers."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")


def test_build_extract_measure(tmp_path, monkeypatch):
    from basic.features import Features
    from basic.tinyworld import build, card, model, world
    from basic.tinyworld.train import export_fp16

    torch.set_num_threads(1)
    net, _ = model.create_untrained(0)  # untrained weights: this tests plumbing, not quality
    ckpt = export_fp16(net, tmp_path / "tiny.fp16.pt")
    monkeypatch.setattr(model, "CHECKPOINT", ckpt)
    insts = world.make_instances()
    only = {insts[0].id, insts[1].id, insts[50].id}
    data = tmp_path / "tiny"
    build.write_benchmark(data / "icir", workers=1, only=only)
    build.write_assets(data / "assets", workers=1, n_synthetic=6)
    out = data / "features" / "tiny"
    build.extract(data, out, workers=1, n_mean=8)
    f = Features.load(out)
    assert f.query_text_context.shape == f.query_text.shape and f.dim == 128
    assert len(f.synthetic_prompts) == 6 and f.corpus_pos_prompts[0] == "object_name"
    assert set(f.queries.instance) == only
    assert np.isclose(np.linalg.norm(f.image_mean), np.linalg.norm(f.image_mean)) and f.image_mean.shape == (128,)
    m = card.measure(data, out, zero_shot_per_instance=1)
    base = m["baselines"]
    assert {"text", "image", "sum", "product", "weicom"} <= set(base)
    assert all(len(curve) == 11 for curve in base["curves"].values())
    # w = 0 and w = 1 of the weighted sum are image-only and text-only
    curve = base["curves"]["weighted-sum"]
    assert np.isclose(curve[0.0], base["image"], atol=0.05) and np.isclose(curve[1.0], base["text"], atol=0.05)
    assert list(m["ladder"]) == list(card.LADDER) and set(m["diagnostics"]) == set("CMHXPQ")
    text = card.write_card(m, tmp_path / "card.md").read_text()
    for section in ("## Calibration", "## Baselines beside the paper", "## The composition curve",
                    "## The Table 2 ladder", "Frozen at commit"):
        assert section in text
