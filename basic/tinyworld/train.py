"""Train the tiny CLIP on the pretraining set the way CLIP is trained, and nothing else.

The loss is CLIP's symmetric image-text contrastive loss (InfoNCE both ways) with a learned temperature
clamped at 100 as in CLIP. It starts where CLIP's ends, at 0.01 (CLIP starts at 0.07 and
reaches its clamp over a long run): a run of minutes trained at a higher temperature closes the modality gap
and opens the cone that a freshly initialised CLIP has, while at CLIP's low temperature both persist, as
they do in CLIP (Liang et al., "Mind the Gap", NeurIPS 2022). Batches are uniformly random image-caption pairs; no
instance label enters the loss or the sampling. The only departure from the textbook loss: identical
captions in one batch ("a mug") are counted as positives of each other rather than as negatives.
Fixed seed, fixed number of steps; a checkpoint with the optimiser state is written every
``save_every`` steps and at the end, and a run resumes from it. ``--export`` writes the fp16 weights to
``basic/tinyworld/assets/`` (the committed checkpoint).
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..fileio import atomic_write
from .data import build_pretrain, load_pretrain, world_dir
from .model import CHECKPOINT, create_untrained

MEAN = torch.tensor((0.48145466, 0.4578275, 0.40821073)).view(1, 3, 1, 1)  # open_clip's OPENAI mean/std
STD = torch.tensor((0.26862954, 0.26130258, 0.27577711)).view(1, 3, 1, 1)


def to_input(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (B,H,W,3) -> normalised float (B,3,H,W), what open_clip's preprocess gives for 64-px images."""
    return (images_u8.permute(0, 3, 1, 2).float() / 255.0 - MEAN) / STD


def augment(x: torch.Tensor, g: torch.Generator, shift: int = 4) -> torch.Tensor:
    """Random translation (reflect-padded crop) and brightness/contrast jitter, per image."""
    b, _, h, w = x.shape
    pad = F.pad(x, (shift,) * 4, mode="reflect")
    offs = torch.randint(0, 2 * shift + 1, (b, 2), generator=g)
    x = torch.stack([pad[i, :, oy:oy + h, ox:ox + w] for i, (oy, ox) in enumerate(offs.tolist())])
    gain = 1 + 0.15 * (torch.rand(b, 1, 1, 1, generator=g) - 0.5)
    bias = 0.15 * (torch.rand(b, 1, 1, 1, generator=g) - 0.5)
    return x * gain + bias


def clip_loss(img, txt, scale, cap_id):
    """Symmetric InfoNCE over a batch of L2-normalised image and text features (identical captions share)."""
    same_cap = (cap_id[:, None] == cap_id[None, :]).float()
    target = same_cap / same_cap.sum(1, keepdim=True)
    logits = scale * img @ txt.t()
    l_it = -(target * F.log_softmax(logits, 1)).sum(1).mean()
    l_ti = -(target * F.log_softmax(logits.t(), 1)).sum(1).mean()
    return (l_it + l_ti) / 2


def _atomic_torch_save(obj, path: Path):
    atomic_write(path, lambda f: torch.save(obj, f), binary=True)


def export_fp16(model, path: Path):
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    _atomic_torch_save(sd, path)
    return path


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `python -m basic.tinyworld train`."""
    ap.add_argument("--data", default=None, help="data folder (default data/tiny or $BASIC_DATA_DIR)")
    ap.add_argument("--n-images", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--init-temperature", type=float, default=0.01,
                    help="initial value of the learned temperature (CLIP: 0.07 at the start of a long run, "
                         "0.01 = its clamp at the end)")
    ap.add_argument("--temperature-lr-mult", type=float, default=1.0,
                    help="learning-rate multiplier of the learned temperature (logit scale)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (fast on CPUs with AMX)")
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this wall time")
    ap.add_argument("--out", default=None, help="run folder (default DATA/train)")
    ap.add_argument("--export", action="store_true", help=f"write fp16 weights to {CHECKPOINT}")
    return ap


def run(args: argparse.Namespace):

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out) if args.out else world_dir(args.data) / "train"
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "train_log.txt"

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        with open(log_path, "a") as f:
            f.write(line + "\n")

    options = {k: v for k, v in sorted(vars(args).items()) if k not in ("func", "command")}
    log("command: python -m basic.tinyworld train " + " ".join(
        f"--{k.replace('_', '-')}" if v is True else f"--{k.replace('_', '-')} {shlex.quote(str(v))}"
        for k, v in options.items() if v not in (None, False)))
    build_pretrain(n=args.n_images, root=args.data)
    images, inst, cond, caps = load_pretrain(n=args.n_images, root=args.data)
    images = torch.from_numpy(images)
    cap_codes, _ = pd_factorize(caps)

    model, tokenizer = create_untrained(args.seed)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1 / args.init_temperature))
    tokens = tokenizer(list(caps))
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{len(images)} pretraining pairs, {len(set(inst))} instances, model {n_params / 1e6:.2f}M params")

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "logit_scale" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 and "logit_scale" not in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd, "lr_mult": 1.0},
                             {"params": no_decay, "weight_decay": 0.0, "lr_mult": 1.0},
                             {"params": [model.logit_scale], "weight_decay": 0.0, "lr_mult": args.temperature_lr_mult}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    step, rng = 0, np.random.default_rng(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    ckpt_path = out / "checkpoint.pt"
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        rng.bit_generator.state = ck["rng"]
        g.set_state(ck["torch_rng"])
        log(f"resumed from {ckpt_path} at step {step}")

    def save():
        _atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                            "rng": rng.bit_generator.state, "torch_rng": g.get_state(),
                            "args": vars(args)}, ckpt_path)

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        return 0.5 * args.lr * (1 + math.cos(math.pi * (s - args.warmup) / max(1, args.steps - args.warmup)))

    model.train()
    t0, seen, start_step = time.time(), 0, step
    while step < args.steps:
        idx = rng.choice(len(images), size=args.batch_size, replace=False)
        x = augment(to_input(images[idx]), g)
        for group in opt.param_groups:
            group["lr"] = lr_at(step) * group["lr_mult"]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            img = model.encode_image(x)
            txt = model.encode_text(tokens[idx])
        img, txt = F.normalize(img.float(), dim=-1), F.normalize(txt.float(), dim=-1)
        loss = clip_loss(img, txt, model.logit_scale.exp(), torch.from_numpy(cap_codes[idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        step += 1
        seen += len(idx)
        if step % 20 == 0 or step == args.steps:
            el = time.time() - t0
            log(json.dumps({"step": step, "loss_clip": round(loss.item(), 4),
                            "scale": round(model.logit_scale.exp().item(), 2), "lr": round(lr_at(step - 1), 6),
                            "img_per_s": round(seen / el, 1), "elapsed_min": round(el / 60, 2)}))
        if step % args.save_every == 0:
            save()
        if args.max_minutes and time.time() - t0 > 60 * args.max_minutes:
            log(f"stopping at step {step}: --max-minutes {args.max_minutes} reached")
            break
    save()
    fp16 = export_fp16(model, out / CHECKPOINT.name)
    log(f"done: step {step}/{args.steps} ({step - start_step} this run) in {(time.time() - t0) / 60:.1f} min; "
        f"fp16 weights {fp16} ({fp16.stat().st_size / 1e6:.1f} MB)")
    if args.export:
        export_fp16(model, CHECKPOINT)
        (CHECKPOINT.parent / "train_log.txt").write_text(log_path.read_text())
        log(f"exported {CHECKPOINT} and its training log")


def pd_factorize(values):
    import pandas as pd
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld train", description=__doc__.split("\n")[0])
    return run(add_arguments(ap).parse_args(argv))


if __name__ == "__main__":
    main()
