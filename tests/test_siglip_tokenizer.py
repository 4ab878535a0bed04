"""SigLIP's tokenizer runs for a user who did `pip install -e .[extract]` (no download needed to check).

open_clip builds SigLIP's tokenizer with ``HFTokenizer``, i.e. ``transformers.AutoTokenizer`` on the
Hub repository ``timm/ViT-B-16-SigLIP`` (a T5-style sentencepiece tokenizer). These tests check that
those Python dependencies import, and run open_clip's HFTokenizer end to end on a small sentencepiece
(Unigram) tokenizer saved locally, the way SigLIP's is loaded.
"""
from __future__ import annotations

import importlib
import json

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from conftest import REPO

SIGLIP_TOKENIZER_MODULES = ("transformers", "sentencepiece", "tokenizers")


def test_the_extract_extra_lists_what_siglip_needs():
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["extract"]
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip() for r in extra}
    assert {"transformers", "sentencepiece"} <= names


@pytest.mark.parametrize("module", SIGLIP_TOKENIZER_MODULES)
def test_siglip_tokenizer_dependencies_import(module):
    importlib.import_module(module)


def test_open_clip_hf_tokenizer_runs_offline(tmp_path):
    pytest.importorskip("open_clip")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast  # what open_clip's HFTokenizer imports

    from open_clip.tokenizer import HFTokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁a", -1.0), ("▁red", -2.0), ("▁car", -2.0),
             ("▁in", -2.0), ("▁snow", -2.0)]
    core = Tokenizer(models.Unigram(vocab, unk_id=2))
    core.pre_tokenizer = pre_tokenizers.Metaspace()
    fast = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    fast.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert AutoTokenizer.from_pretrained(str(tmp_path)) is not None
    tokenizer = HFTokenizer(str(tmp_path), context_length=8, clean="canonicalize")   # SigLIP's settings
    tokens = tokenizer(["A red car, in SNOW!"])
    assert tokens.shape == (1, 8)
    assert tokens[0, :5].tolist() == [3, 4, 5, 6, 7]
