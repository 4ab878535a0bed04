"""The tiny CLIP: an open_clip model config registered with open_clip, and its committed checkpoint.

It is created, loaded and used through the same open_clip calls as ViT-L/14::

    model, _, preprocess = open_clip.create_model_and_transforms("tiny-clip-rn", pretrained=CHECKPOINT)
    tokenizer = open_clip.get_tokenizer("tiny-clip-rn")
    model.encode_image(...), model.encode_text(tokenizer(texts))

``register()`` must run first (``load_tiny_clip`` does it). The vocabulary is the first 8,000 merges of
CLIP's own BPE (8,514 tokens), so the token table is 1.1M parameters rather than 6.3M; the tokenizer
file ships in ``assets/``. Nothing here touches the network.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
MODEL_NAME = "tiny-clip-rn"
CONFIG = ASSETS / f"{MODEL_NAME}.json"
CHECKPOINT = ASSETS / f"{MODEL_NAME}.fp16.pt"


def _bpe_path() -> str:
    cfg = json.loads(CONFIG.read_text())
    return str(ASSETS / cfg["text_cfg"]["tokenizer_kwargs"]["bpe_path"])


def register() -> str:
    """Register the config with open_clip (idempotent); returns the model name."""
    import open_clip
    from open_clip import factory

    if MODEL_NAME not in open_clip.list_models():
        open_clip.add_model_config(CONFIG)
    # the JSON names the tokenizer file relative to assets/: make it absolute in the registry
    cfg = factory._MODEL_CONFIGS.get(MODEL_NAME)
    if cfg is not None:
        cfg["text_cfg"]["tokenizer_kwargs"] = {"bpe_path": _bpe_path()}
    return MODEL_NAME


def get_tokenizer():
    import open_clip

    register()
    return open_clip.get_tokenizer(MODEL_NAME, bpe_path=_bpe_path())


def create_untrained(seed: int = 0):
    """A freshly initialised tiny CLIP (for training), with its tokenizer."""
    import open_clip
    import torch

    register()
    torch.manual_seed(seed)
    model = open_clip.create_model(MODEL_NAME)
    return model, get_tokenizer()


def load_tiny_clip(device: str = "cpu", checkpoint: str | os.PathLike | None = None):
    """(model, preprocess, tokenizer) of the trained tiny CLIP, in eval mode, loaded offline."""
    import open_clip

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    checkpoint = Path(checkpoint or CHECKPOINT)
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"{checkpoint} not found: the tiny CLIP checkpoint ships in basic/tinyworld/assets/; "
            "train one with `python -m basic.tinyworld train`")
    register()
    model, _, preprocess = open_clip.create_model_and_transforms(
        MODEL_NAME, pretrained=str(checkpoint), device=device)
    model.eval()
    return model, preprocess, get_tokenizer()
