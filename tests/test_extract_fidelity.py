"""The fast loader keeps features faithful: cosine >= 0.999 to a plain fp32 full-decode extraction.

Real photographs: the ones scikit-image ships (astronaut, cat, coffee, rocket, Hubble deep field, retina,
motorcycle, horse), saved as JPEG (quality 90) at their own size. Two models on the CPU: the tiny CLIP
(trained weights, 64-px input: draft decoding reduces these photographs up to 1/4 scale) and ViT-B-32 with
seeded random weights (224-px input).
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL")
skimage = pytest.importorskip("skimage")

from pathlib import Path  # noqa: E402

from PIL import Image  # noqa: E402

from basic import extract  # noqa: E402

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg",
          "motorcycle_left.png", "horse.png")


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[Path]:
    data = Path(skimage.__file__).parent / "data"
    out = tmp_path_factory.mktemp("photos")
    paths = []
    for name in PHOTOS:
        if not (data / name).is_file():
            continue
        path = out / (Path(name).stem + ".jpg")
        with Image.open(data / name) as image:
            image.convert("RGB").save(path, quality=90)
        paths.append(path)
    if len(paths) < 5:
        pytest.skip("scikit-image's sample photographs are missing")
    return paths


def features(backbone, paths, draft_size=None, half=False) -> np.ndarray:
    dataset = extract.ImageFiles(paths, backbone.preprocess, draft_size)
    items = [dataset[i] for i in range(len(paths))]
    assert all(err == "" for _, _, err in items)
    x = torch.stack([image for _, image, _ in items])
    model = backbone.model
    with torch.no_grad():
        if half:
            return model.half().encode_image(x.half()).float().numpy()
        return model.encode_image(x).float().numpy()


def cosine(a, b) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module", params=["tiny", "ViT-B-32"])
def backbone(request):
    torch.manual_seed(0)
    return extract.load_backbone(request.param, device="cpu", decode="draft")


def test_full_decode_is_the_plain_pil_path(photos, backbone):
    dataset = extract.ImageFiles(photos[:2], backbone.preprocess, None)
    for i, path in enumerate(photos[:2]):
        with Image.open(path) as image:
            plain = backbone.preprocess(image.convert("RGB"))
        assert torch.equal(dataset[i][1], plain)


def test_jpeg_draft_decoding_is_faithful_and_really_reduces(photos, backbone):
    size = extract.input_size(backbone.preprocess)
    draft = backbone.draft_size
    assert draft == 2 * size
    reduced = 0
    for path in photos:
        with Image.open(path) as image:
            full = image.size
            image.draft("RGB", (draft, draft))
            assert min(image.size) >= min(draft, min(full))    # never below twice the input size
            reduced += image.size != full
    assert reduced >= 1, "the photographs should exercise draft decoding"
    cos = cosine(features(backbone, photos), features(backbone, photos, draft))
    assert cos.min() >= 0.999, dict(zip([p.name for p in photos], cos.round(5)))


def test_fp16_weights_are_faithful(photos, backbone):
    """fp16 weights (the GPU default) against fp32, here on the CPU; the GPU check repeats it on CUDA."""
    reference = features(backbone, photos)
    try:
        half = features(backbone, photos, half=True)
    except RuntimeError as error:   # an op without a CPU fp16 kernel in this torch
        pytest.skip(f"fp16 on the CPU: {error}")
    finally:
        backbone.model.float()
    assert cosine(reference, half).min() >= 0.999


def test_gpu_defaults_and_cpu_defaults():
    cpu = extract.Backbone(None, None, None, "x", None, torch.device("cpu"))
    gpu = extract.Backbone(None, None, None, "x", None, torch.device("cuda"))
    assert cpu.draft_size is None and not cpu.half_weights and cpu.precision_for_device() == "fp32"
    assert gpu.half_weights and gpu.precision_for_device() == "fp16"
    assert extract.default_workers("cpu") <= 2 and extract.default_workers("cuda") >= 1
    fp32 = extract.Backbone(None, None, None, "x", None, torch.device("cuda"), precision="fp32")
    assert not fp32.half_weights
