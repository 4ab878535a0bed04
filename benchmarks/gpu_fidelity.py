"""Fidelity of the fast GPU defaults: cosine of (fp16 weights + JPEG draft decoding) to (fp32 + full decode).

The CPU test (tests/test_extract_fidelity.py) checks draft decoding and fp16 weights on the CPU; this
repeats the check on a CUDA device, where fp16 arithmetic really runs in half precision. Photographs:
scikit-image's sample photographs when scikit-image is installed, else the *.jpg / *.png in --photos.
Models: the tiny CLIP (trained weights), ViT-L-14 and ViT-L-16-SigLIP-256 (random weights: no download).

    python benchmarks/gpu_fidelity.py [--photos DIR] [--device cuda]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basic import extract  # noqa: E402

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg",
          "motorcycle_left.png", "horse.png")


def photographs(folder: str | None, out: Path) -> list[Path]:
    from PIL import Image
    sources = []
    if folder:
        sources = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    else:
        try:
            import skimage
            data = Path(skimage.__file__).parent / "data"
            sources = [data / n for n in PHOTOS if (data / n).is_file()]
        except ImportError:
            pass
    if not sources:
        raise SystemExit("no photographs: install scikit-image or pass --photos DIR")
    paths = []
    for src in sources:
        dest = out / (src.stem + ".jpg")
        with Image.open(src) as image:
            image.convert("RGB").save(dest, quality=90)
        paths.append(dest)
    return paths


def encode(backbone, paths) -> np.ndarray:
    return extract.encode_images(backbone, paths, batch_size=len(paths), num_workers=0, progress=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", help="folder of photographs (default: scikit-image's)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--models", default="tiny,ViT-L-14,ViT-L-16-SigLIP-256")
    args = parser.parse_args(argv)
    import open_clip
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        paths = photographs(args.photos, Path(tmp))
        print(f"{len(paths)} photographs; device {args.device}")
        worst = 1.0
        for name in args.models.split(","):
            torch.manual_seed(0)
            get_tokenizer, open_clip.get_tokenizer = open_clip.get_tokenizer, (lambda *a, **k: None)
            try:                                   # images only: no tokenizer (SigLIP's needs the Hub)
                reference = extract.load_backbone(name, device=args.device, precision="fp32", decode="full")
            finally:
                open_clip.get_tokenizer = get_tokenizer
            ref_feats = encode(reference, paths)
            # the same weights, with the defaults on this device (fp16 weights and draft decoding on a GPU)
            fast = extract.Backbone(reference.model, reference.preprocess, None, reference.name,
                                    reference.pretrained, reference.device)
            if fast.half_weights:
                fast.model.half()
            fast_feats = encode(fast, paths)
            cos = (fast_feats * ref_feats).sum(1) / np.linalg.norm(fast_feats, axis=1) / np.linalg.norm(ref_feats, axis=1)
            worst = min(worst, float(cos.min()))
            print(f"  {name:<22} fp16 weights={fast.half_weights} draft>={fast.draft_size}px: "
                  f"cosine to fp32 full decode min {cos.min():.5f} mean {cos.mean():.5f}")
        print(f"worst cosine {worst:.5f} ({'>= 0.999: faithful' if worst >= 0.999 else 'BELOW 0.999'})")
    return 0 if worst >= 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
