"""What every companion notebook does first, in one call.

    features = basic.notebook.setup(profile, data_dir, backbone)

``profile`` names a registered dataset (``basic.datasets``: tiny, icir, golden, and any registered since);
the call prints the one sentence about whose numbers these are, builds the data if the dataset can build it
(the tiny world, on first use), and returns its ``Features``. ``labels`` gives the label frames and the image
folder for pictures, ``default_backbone`` the backbone a dataset's features come from.
"""
from __future__ import annotations

from .datasets import Dataset, Labels, get_dataset
from .features import Features


def setup(profile: str = "tiny", data_dir=None, backbone: str | None = None, quiet: bool = False) -> Features:
    """Print the dataset's note and return its features (built first where the dataset builds them)."""
    dataset = get_dataset(profile, data_dir)
    if not quiet:
        print(dataset.note)
    return dataset.load_features(backbone)


def dataset(profile: str = "tiny", data_dir=None) -> Dataset:
    """The registered dataset itself: what it can do (``paper_comparable``, ``encoder_on_cpu``,
    ``distractors``, ``categories``) and where its data is."""
    return get_dataset(profile, data_dir)


def labels(profile: str = "tiny", data_dir=None) -> Labels:
    """The dataset's image folder (None without images) and label frames (columns instance, text, path)."""
    return get_dataset(profile, data_dir).labels()


def default_backbone(profile: str = "tiny") -> str | None:
    """The backbone a dataset's features are extracted with unless told otherwise."""
    return get_dataset(profile).default_backbone


def features_dir(profile: str = "tiny", data_dir=None, backbone: str | None = None):
    """The features folder ``setup`` reads."""
    return get_dataset(profile, data_dir).features_dir(backbone)


def categories(instances, profile: str = "tiny"):
    """Category of each instance where the dataset has categories (the tiny world), else None."""
    return get_dataset(profile).categories(instances)
