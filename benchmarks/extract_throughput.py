"""Image-extraction throughput: images/s end to end, and where the time goes (decode, transfer, model).

Three passes over the same images with the same DataLoader as ``basic.extract.encode_images``:

1. decode   - the loader alone (read + decode + preprocess in the workers): images/s the loader can feed;
2. transfer - the loader plus the copy to the device (pinned memory, non_blocking);
3. model    - the model alone on one batch already on the device, repeated: images/s the model can eat;

and the end-to-end rate (all three together, as extraction runs). The data loader is not the
bottleneck when ``decode`` is well above ``model``.

    # the paper's CLIP on a GPU with extraction's defaults (fp16 weights, JPEG draft, workers from the cores):
    python benchmarks/extract_throughput.py --model ViT-L-14 --pretrained openai --batch-size 256 --images 4096
    # the same with the old loader, for comparison:
    python benchmarks/extract_throughput.py --model ViT-L-14 --decode full --images 4096
    # a small CPU run with random weights (no download):
    python benchmarks/extract_throughput.py --model ViT-B-32 --device cpu --batch-size 16 --images 64 --workers 1

Images are synthetic JPEGs (``--size`` pixels, written once to ``--image-dir``) or your own (``--image-dir``
holding *.jpg). Results are printed and, with ``--json``, written to a file.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basic.extract import ImageFiles, default_workers, image_loader, load_backbone  # noqa: E402


def synthetic_images(folder: Path, count: int, size: int) -> list[Path]:
    """Write ``count`` random JPEGs of ``size``x``size`` (photo-like size keeps decoding realistic)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    have = sorted(folder.glob("*.jpg"))
    if len(have) >= count:
        return have[:count]
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (size // 8, size // 8, 3), dtype=np.uint8)
    for i in range(len(have), count):
        img = Image.fromarray(np.roll(base, i, axis=0)).resize((size, size), Image.BILINEAR)
        img.save(folder / f"img_{i:06d}.jpg", quality=90)
    return sorted(folder.glob("*.jpg"))[:count]


def sync(device):
    import torch
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="ViT-L-14", help="open_clip model name, or clip / siglip / tiny")
    parser.add_argument("--pretrained", default=None, help="tag or checkpoint; default random weights")
    parser.add_argument("--device", default=None)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp16", "fp32"],
                        help="auto = fp16 weights on a GPU (extraction's default), fp32 on the CPU")
    parser.add_argument("--decode", default="auto", choices=["auto", "draft", "full"],
                        help="JPEG decoding; auto = draft on a GPU (extraction's default), full on the CPU")
    parser.add_argument("--draft-gap", type=float, default=None,
                        help="draft decoding keeps at least GAP x the model input size (default: extraction's, 2)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=None, help="default: extraction's default_workers")
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--size", type=int, default=512, help="side of the synthetic JPEGs")
    parser.add_argument("--image-dir", default="/tmp/basic_bench_images")
    parser.add_argument("--model-repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave as is)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    import open_clip
    import torch

    import basic.extract
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.draft_gap is not None:
        basic.extract.DRAFT_GAP = args.draft_gap
    # images only: no tokenizer (SigLIP's would be fetched from the Hugging Face Hub); restored right after
    get_tokenizer, open_clip.get_tokenizer = open_clip.get_tokenizer, (lambda *a, **k: None)
    try:
        backbone = load_backbone(args.model, args.pretrained, args.device, args.precision, args.decode)
    finally:
        open_clip.get_tokenizer = get_tokenizer
    device = backbone.device
    if args.workers is None:
        args.workers = default_workers(device)
    paths = synthetic_images(Path(args.image_dir), args.images, args.size)
    dataset = ImageFiles(paths, backbone.preprocess, backbone.draft_size)
    batches = [list(range(i, min(i + args.batch_size, len(paths)))) for i in range(0, len(paths), args.batch_size)]
    pin = device.type == "cuda"

    for p in paths:  # warm the page cache so that pass 1 and 2 read alike
        p.read_bytes()

    for _ in image_loader(dataset, batches[:1], args.workers, pin):  # warm-up: lazy imports, first decode
        pass

    # 1. decode: the loader alone
    start = time.perf_counter()
    first = None
    for _, images, _ in image_loader(dataset, batches, args.workers, pin):
        first = images if first is None else first
    decode_s = time.perf_counter() - start

    # 2. transfer: loader + copy to the device
    start = time.perf_counter()
    for _, images, _ in image_loader(dataset, batches, args.workers, pin):
        backbone.to_input(images)
    sync(device)
    transfer_s = time.perf_counter() - start

    # 3. model: one batch on the device, repeated (after a warm-up)
    x = backbone.to_input(first)
    with torch.no_grad(), backbone.autocast():
        backbone.model.encode_image(x)
        sync(device)
        start = time.perf_counter()
        for _ in range(args.model_repeats):
            backbone.model.encode_image(x)
        sync(device)
    model_s = (time.perf_counter() - start) / (args.model_repeats * len(x)) * len(paths)

    # 4. end to end
    start = time.perf_counter()
    with torch.no_grad():
        for _, images, _ in image_loader(dataset, batches, args.workers, pin):
            with backbone.autocast():
                backbone.model.encode_image(backbone.to_input(images)).float().cpu()
    sync(device)
    total_s = time.perf_counter() - start

    n = len(paths)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    result = {
        "model": args.model, "pretrained": args.pretrained, "device": name,
        "precision": backbone.precision_for_device(), "fp16_weights": backbone.half_weights,
        "jpeg_draft_size": backbone.draft_size, "draft_gap": basic.extract.DRAFT_GAP, "batch_size": args.batch_size, "workers": args.workers,
        "images": n, "image_size": args.size,
        "images_per_s": {"end_to_end": n / total_s, "decode_only": n / decode_s,
                         "decode_and_transfer": n / transfer_s, "model_only": n / model_s},
        "seconds_per_1000_images": {"decode": 1000 * decode_s / n,
                                    "transfer": 1000 * max(transfer_s - decode_s, 0.0) / n,
                                    "model": 1000 * model_s / n, "end_to_end": 1000 * total_s / n},
        "command": "python benchmarks/extract_throughput.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    result["bottleneck"] = "data loader" if decode_s > model_s else "model"
    rates = result["images_per_s"]
    print(f"{args.model} on {name}, {result['precision']}{' weights' if backbone.half_weights else ''}, "
          f"JPEG {'draft >= ' + str(backbone.draft_size) + ' px' if backbone.draft_size else 'full decode'}, "
          f"batch {args.batch_size}, {args.workers} workers, {n} images")
    print(f"  end to end   {rates['end_to_end']:9.1f} images/s")
    print(f"  decode only  {rates['decode_only']:9.1f} images/s   (loader: read + decode + preprocess)")
    print(f"  + transfer   {rates['decode_and_transfer']:9.1f} images/s")
    print(f"  model only   {rates['model_only']:9.1f} images/s")
    print(f"  bottleneck: {result['bottleneck']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
