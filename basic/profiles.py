"""Where the companion notebooks get their data, by dataset name (the registry: ``basic.datasets``).

Kept for code written against the first releases; new code uses ``basic.datasets.get_dataset(name)`` and
notebooks use ``basic.notebook.setup``. Every function here takes a registered dataset's name.
"""
from __future__ import annotations

import subprocess  # noqa: F401  (tests patch subprocess.run through here)
from pathlib import Path

import pandas as pd

from .datasets import TINY_VERSION, DatasetError, Labels, dataset_names, get_dataset  # noqa: F401
from .features import Features

ProfileError = DatasetError
PROFILES = dataset_names()
DEFAULT_BACKBONE = {name: get_dataset(name).default_backbone for name in PROFILES}
Dataset = Labels


def default_data_dir(profile: str) -> Path:
    return get_dataset(profile).default_data_dir()


def tiny_root(data_dir) -> Path:
    return get_dataset("tiny", data_dir).root


def build_tiny(data_dir=None, quiet: bool = False) -> Path:
    return get_dataset("tiny", data_dir).prepare(quiet=quiet)


def features_dir(profile: str = "tiny", data_dir=None, backbone: str | None = None) -> Path:
    return get_dataset(profile, data_dir).features_dir(backbone)


def load_features(profile: str = "tiny", data_dir=None, backbone: str | None = None) -> Features:
    return get_dataset(profile, data_dir).load_features(backbone)


def dataset(profile: str = "tiny", data_dir=None) -> Labels:
    return get_dataset(profile, data_dir).labels()


def categories(instances, profile: str = "tiny") -> pd.Series | None:
    return get_dataset(profile).categories(instances)


def note(profile: str) -> str:
    return get_dataset(profile).note
