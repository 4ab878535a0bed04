"""One registry of backbones: each name maps to its open_clip model, its weights and BASIC's assets for it.

The shape of open_clip's own table of pretrained models: a backbone is one entry. ``extract`` loads any entry
by name (``--backbone NAME``); ``fetch``/``realpath`` fetch the assets the entry names (the reference ships a
LAION-1M image mean and a min-normalisation synthetic set for CLIP and SigLIP only)::

    from basic.backbones import BackboneEntry, register_backbone
    register_backbone(BackboneEntry("clip-b32", model="ViT-B-32", pretrained="laion2b_s34b_b79k"))

A backbone whose model config is not built into open_clip gives a ``prepare`` function, called before each
load: it registers the config with open_clip (``open_clip.add_model_config``) and returns a context manager
for the load itself (the tiny CLIP: ``basic.tinyworld.model``, which registers ``tiny`` on import).
Modules named in ``$BASIC_PLUGINS`` (``basic.plugins``) are imported on the first miss, to register more.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

#: the two object corpora every backbone uses (positive: subjects; negative: styles), as reference assets
CORPORA = ("generic_subjects.csv", "generic_styles.csv")
#: modules that register backbones of this package when imported (looked into on the first miss)
BUILTIN_PLUGINS = ("basic.tinyworld.model",)


class BackboneError(ValueError):
    """An unknown backbone or a bad registration; the message lists what is known."""


@dataclass(frozen=True)
class BackboneEntry:
    """A backbone: ``model`` (an open_clip model name, or ``hf-hub:...``), ``pretrained`` (an open_clip tag or
    a local checkpoint; None: random weights), the reference's asset names for it (None: not shipped), and an
    optional ``prepare()`` returning a context manager to load inside, and an optional ``tokenizer()``."""
    name: str
    model: str
    pretrained: str | None = None
    image_mean: str | None = None       # the LAION-1M image mean asset (basic.fetch.ASSETS)
    synthetic: str | None = None        # the min-normalisation synthetic set asset
    prepare: Callable | None = None
    tokenizer: Callable | None = None   # returns the tokenizer, where open_clip.get_tokenizer(model) does not do
    description: str = ""

    @property
    def assets(self) -> list[str]:
        """The reference assets BASIC needs with this backbone: the corpora, then its mean and synthetic set."""
        return [*CORPORA, *(a for a in (self.image_mean, self.synthetic) if a)]

    @property
    def has_reference_assets(self) -> bool:
        return bool(self.image_mean and self.synthetic)


BACKBONES: dict[str, BackboneEntry] = {}


def register_backbone(backbone: BackboneEntry, replace: bool = False) -> BackboneEntry:
    if not isinstance(backbone, BackboneEntry):
        raise BackboneError(f"register_backbone takes a basic.backbones.BackboneEntry, got {backbone!r}")
    if backbone.name in BACKBONES and not replace and BACKBONES[backbone.name] != backbone:
        raise BackboneError(f"backbone {backbone.name!r} is already registered; pass replace=True to redefine it")
    BACKBONES[backbone.name] = backbone
    return backbone


def _load_plugins() -> None:
    import importlib

    from .plugins import load_plugins
    for module in BUILTIN_PLUGINS:
        importlib.import_module(module)
    load_plugins()


def find_backbone(name: str) -> BackboneEntry | None:
    """The registered backbone ``name``, or None (then ``name`` may still be an open_clip model name)."""
    if name not in BACKBONES:
        _load_plugins()
    return BACKBONES.get(name)


def get_backbone(name: str) -> BackboneEntry:
    found = find_backbone(name)
    if found is None:
        raise BackboneError(f"unknown backbone {name!r}; registered: {', '.join(backbone_names())} "
                            "(or give an open_clip model name to --backbone)")
    return found


def backbone_names() -> tuple[str, ...]:
    _load_plugins()
    return tuple(BACKBONES)


def with_reference_assets() -> tuple[str, ...]:
    """Backbones for which the reference ships an image mean and a synthetic set (the paper's: clip, siglip)."""
    return tuple(name for name in backbone_names() if BACKBONES[name].has_reference_assets)


# ----------------------------------------------------------------------------- the paper's backbones
register_backbone(BackboneEntry("clip", "ViT-L-14", "openai", image_mean="laion_1m_mean_clip.pkl",
                           synthetic="dataset_1_sd_clip.pkl.npy", description="OpenAI CLIP ViT-L/14 (the paper's)"))
register_backbone(BackboneEntry("siglip", "hf-hub:timm/ViT-L-16-SigLIP-256", None, image_mean="laion_1m_mean_siglip.pkl",
                           synthetic="dataset_1_sd_siglip.pkl.npy", description="SigLIP ViT-L/16-256 (the paper's)"))
