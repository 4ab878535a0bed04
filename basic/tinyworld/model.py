"""The tiny CLIP: an open_clip model config registered with open_clip, and its committed checkpoint.

It is created, loaded and used through the same open_clip calls as ViT-L/14::

    model, _, preprocess = open_clip.create_model_and_transforms("tiny-clip-rn", pretrained=CHECKPOINT)
    tokenizer = open_clip.get_tokenizer("tiny-clip-rn")
    model.encode_image(...), model.encode_text(tokenizer(texts))

``register()`` must run first (``load_tiny_clip`` does it, and so does ``--backbone tiny``: importing this module
registers ``tiny`` in ``basic.backbones``). The vocabulary is the first 8,000 merges of
CLIP's own BPE (8,514 tokens), so the token table is 1.1M parameters rather than 6.3M; the tokenizer
file ships in ``assets/``. Nothing here touches the network.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..backbones import BackboneEntry, register_backbone

ASSETS = Path(__file__).resolve().parent / "assets"
MODEL_NAME = "tiny-clip-rn"
CONFIG = ASSETS / f"{MODEL_NAME}.json"
CHECKPOINT = ASSETS / f"{MODEL_NAME}.fp16.pt"


def _bpe_path() -> str:
    cfg = json.loads(CONFIG.read_text())
    return str(ASSETS / cfg["text_cfg"]["tokenizer_kwargs"]["bpe_path"])


def register() -> str:
    """Register the config with open_clip through its public ``add_model_config`` (idempotent); returns the
    model name. The committed config names its tokenizer file relative to assets/; what is registered is a
    copy with that path made absolute (in a temporary folder), so ``open_clip.get_tokenizer`` finds it."""
    import open_clip

    if MODEL_NAME not in open_clip.list_models():
        import atexit
        import shutil
        import tempfile
        cfg = json.loads(CONFIG.read_text())
        cfg["text_cfg"]["tokenizer_kwargs"] = {"bpe_path": _bpe_path()}
        folder = Path(tempfile.mkdtemp(prefix="basic-tiny-clip-"))
        atexit.register(shutil.rmtree, folder, True)      # open_clip rescans its paths on each registration
        (folder / CONFIG.name).write_text(json.dumps(cfg))
        open_clip.add_model_config(folder / CONFIG.name)
    return MODEL_NAME


def get_tokenizer():
    import open_clip

    register()
    return open_clip.get_tokenizer(MODEL_NAME, bpe_path=_bpe_path())


@contextmanager
def offline():
    """Hugging Face's hub switched off for the duration of a load only (the tiny CLIP never needs it):
    $HF_HUB_OFFLINE and huggingface_hub's own constant are put back afterwards."""
    import open_clip  # noqa: F401  (imports huggingface_hub first, so that its constants are read unchanged)
    try:
        from huggingface_hub import constants
    except ImportError:
        constants = None
    before_env, before_const = os.environ.get("HF_HUB_OFFLINE"), getattr(constants, "HF_HUB_OFFLINE", None)
    os.environ["HF_HUB_OFFLINE"] = "1"
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        if before_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = before_env
        if constants is not None:
            constants.HF_HUB_OFFLINE = before_const


def _prepare():
    """What ``basic.extract.load_backbone`` calls before loading ``tiny``: register, then load offline."""
    register()
    return offline()


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

    checkpoint = Path(checkpoint or CHECKPOINT)
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"{checkpoint} not found: the tiny CLIP checkpoint ships in basic/tinyworld/assets/; "
            "train one with `python -m basic.tinyworld train`")
    with _prepare():
        model, _, preprocess = open_clip.create_model_and_transforms(
            MODEL_NAME, pretrained=str(checkpoint), device=device)
        tokenizer = get_tokenizer()
    model.eval()
    return model, preprocess, tokenizer


register_backbone(BackboneEntry("tiny", MODEL_NAME, str(CHECKPOINT), prepare=_prepare, tokenizer=get_tokenizer,
                                description="the tiny world's own tiny CLIP (basic/tinyworld/assets)"))
