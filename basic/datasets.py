"""One registry of the benchmarks the companion evaluates: one small class per dataset.

Each dataset knows its features folder, how to load its features and its labels, the sentence the notebooks
print about whose numbers these are, and which ``figures/`` sub-folder ``./runall.sh`` writes for it.
A notebook's ``profile`` parameter and ``./runall.sh DATASET`` name a registered dataset.

    >>> from basic.datasets import get_dataset
    >>> tiny = get_dataset("tiny")                      # the offline tiny world (built on first use)
    >>> features = tiny.load_features()                 # doctest: +SKIP

A new dataset is one class and one registration (the shape of faiss's ``contrib/datasets.py``)::

    @register_dataset
    class MyBenchmark(Dataset):
        name = "mine"
        note = "My benchmark: our numbers."
        def default_data_dir(self):
            return Path("features/mine")

Levels: ``instance`` datasets follow i-CIR (each query ranks its own instance's database); ``semantic``
datasets (the FREEDOM protocol: one global database, positives share the query's class and target domain)
are evaluated with ``database = "global"`` (``basic.search``). Both store the class or instance in the
label column ``instance`` and the asked condition or domain in ``text``, so positives are found the same way.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from .features import Features, features_file, is_features_folder

REPO = Path(__file__).resolve().parent.parent
FIGURES = REPO / "figures"


class DatasetError(ValueError):
    """A dataset is unknown, or its data is missing; the message says which command makes it."""


@dataclass
class Labels:
    """Labels for statistics and pictures: ``root`` is the image folder (None when there are no images)."""
    root: Path | None
    queries: pd.DataFrame
    database: pd.DataFrame

    def image_path(self, rel: str) -> Path | None:
        if self.root is None:
            return None
        from .icir import resolve_image
        path = resolve_image(self.root, rel)
        return path if path.is_file() else None


class Dataset:
    """A benchmark: where its features are, how to load them, what its numbers mean.

    Subclass it, set the class attributes, override ``default_data_dir`` (and ``prepare``, ``labels``,
    ``missing_message`` where the defaults do not fit), then ``register_dataset`` the class."""
    name: ClassVar[str] = ""
    note: ClassVar[str] = ""                   # the one sentence a notebook prints about these numbers
    level: ClassVar[str] = "instance"          # "instance" (i-CIR's protocol) or "semantic" (FREEDOM's)
    database: ClassVar[str] = "instance"       # what a query ranks: its instance's rows, or "global"
    default_backbone: ClassVar[str | None] = None
    figures_subdir: ClassVar[str | None] = None  # under figures/ ("" = figures/ itself); None: OUTDIR/figures
    publishes_notebooks: ClassVar[bool] = False  # runall.sh writes the executed notebooks back (tiny only)
    paper_comparable: ClassVar[bool] = False     # the paper's i-CIR numbers are this dataset's own (icir)
    encoder_on_cpu: ClassVar[bool] = False       # its backbone is small enough to run in a notebook on a CPU
    notebooks: ClassVar[str | None] = None       # the notebooks ./runall.sh runs (a glob; None: by level)

    def __init__(self, data_dir: str | os.PathLike | None = None):
        self.data_dir = Path(data_dir) if data_dir else self.default_data_dir()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data_dir={str(self.data_dir)!r})"

    # --- to override
    def default_data_dir(self) -> Path:
        """Where this dataset's data lives unless a ``data_dir`` is given."""
        raise NotImplementedError(f"{type(self).__name__} must define default_data_dir()")

    def prepare(self) -> None:
        """Make the features if this dataset can make them itself (the tiny world builds on first use)."""

    def features_dir(self, backbone: str | None = None) -> Path:
        """The features folder read for ``backbone`` (not built or checked)."""
        if backbone and self.data_dir.name != backbone and (self.data_dir.parent / backbone).is_dir():
            return self.data_dir.parent / backbone
        return self.data_dir

    def missing_message(self, folder: Path, backbone: str | None) -> str:
        return f"no features in {folder} for dataset {self.name!r}"

    # --- shared behaviour
    def load_features(self, backbone: str | None = None) -> Features:
        self.prepare()
        folder = self.features_dir(backbone)
        if not is_features_folder(folder):
            raise DatasetError(self.missing_message(folder, backbone))
        return Features.load(folder)

    def labels(self) -> Labels:
        """The benchmark's image folder (None without images) and label frames (columns instance, text, path)."""
        features = self.load_features()
        return Labels(None, features.queries, features.database)

    def categories(self, instances) -> pd.Series | None:
        """Category of each instance, when the dataset has categories (None otherwise)."""
        return None

    def distractors(self, count: int, backbone: str | None = None):
        """The first ``count`` random distractor features (never positive), where the dataset can make them
        (the tiny world renders and encodes them, cached); None otherwise."""
        return None

    def notebook_pattern(self) -> str:
        """The notebooks ``./runall.sh`` runs for this dataset (a glob under notebooks/, without .ipynb)."""
        return self.notebooks or (SEMANTIC_NOTEBOOKS if self.level == "semantic" else ALL_NOTEBOOKS)

    def figures_dir(self, out_dir: str | os.PathLike | None = None) -> Path:
        """Where ``./runall.sh`` writes this dataset's figures: under figures/, or OUTDIR/figures."""
        if self.figures_subdir is None:
            return Path(out_dir or REPO / "out" / self.name).resolve() / "figures"
        return FIGURES / self.figures_subdir if self.figures_subdir else FIGURES


DATASETS: dict[str, type[Dataset]] = {}
#: what ./runall.sh runs unless a dataset says otherwise: every notebook; at the semantic level only the one
#: written for it (the others score i-CIR's way, per instance)
ALL_NOTEBOOKS, SEMANTIC_NOTEBOOKS = "[0-9][0-9]_*", "13_semantic_vs_instance"


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    """Register a Dataset subclass under its ``name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Dataset)):
        raise TypeError(f"register_dataset takes a Dataset subclass, got {cls!r}")
    if not cls.name or not cls.name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"{cls.__name__}.name must be a short word (letters, digits, - and _), got {cls.name!r}")
    if cls.level not in ("instance", "semantic"):
        raise ValueError(f"{cls.__name__}.level must be 'instance' or 'semantic', got {cls.level!r}")
    if cls.database not in ("instance", "global"):
        raise ValueError(f"{cls.__name__}.database must be 'instance' or 'global', got {cls.database!r}")
    DATASETS[cls.name] = cls
    return cls


def dataset_names() -> tuple[str, ...]:
    _load_plugins()
    return tuple(DATASETS)


def get_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    """The registered dataset ``name``, reading ``data_dir`` (default: its own)."""
    if isinstance(name, Dataset):
        return name
    _load_plugins()
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; registered: {', '.join(DATASETS)}. A new one is a "
                           "Dataset subclass passed to basic.datasets.register_dataset (in a module named by "
                           "$BASIC_PLUGINS to reach ./runall.sh and the notebooks)")
    return DATASETS[name](data_dir)


def _load_plugins() -> None:
    from .plugins import PluginError, load_plugins
    try:
        load_plugins()
    except PluginError as error:
        raise DatasetError(str(error)) from None


# ----------------------------------------------------------------------------- the built-in datasets
TINY_VERSION = "tiny-icir-2.0"  # = basic.tinyworld.data.VERSION (kept here so that this module never imports torch)


def _meta_version(folder: Path) -> str | None:
    import json
    try:
        return json.loads((folder / "meta.json").read_text()).get("dataset_version")
    except (OSError, ValueError):
        return None


@register_dataset
class TinyWorld(Dataset):
    """The offline tiny world (``basic.tinyworld``): a tiny i-CIR rendered in i-CIR's file layout and its
    features from our own tiny CLIP; built on first use (``python -m basic.tinyworld build``), cached."""
    name = "tiny"
    note = ("These are the TINY WORLD's numbers (our rendered mini-benchmark and tiny CLIP), "
            "not the paper's: compare trends, not values.")
    default_backbone = "tiny"
    figures_subdir = ""
    publishes_notebooks = True
    encoder_on_cpu = True

    def default_data_dir(self) -> Path:
        return Path(os.environ.get("BASIC_DATA_DIR") or REPO / "data" / "tiny")

    @property
    def root(self) -> Path:
        """The tiny i-CIR folder (i-CIR's layout: query/, database/, query_files.csv, database_files.csv)."""
        return self.data_dir / TINY_VERSION / "icir"

    def features_dir(self, backbone: str | None = None) -> Path:
        return self.data_dir / TINY_VERSION / "features" / (backbone if backbone not in (None, "tiny") else "tiny")

    def prepare(self, quiet: bool = False) -> Path:
        """Build the tiny world and its features if missing; features of another version are rebuilt."""
        out = self.features_dir()
        if is_features_folder(out) and _meta_version(out) == TINY_VERSION:
            _warn_if_stale(out)
            return out
        if out.is_dir() and _meta_version(out) not in (None, TINY_VERSION):
            print(f"{out} holds features of {_meta_version(out)}, not {TINY_VERSION}: rebuilding", file=sys.stderr)
        print("building the tiny world (first use; cached afterwards) ...", file=sys.stderr)
        cmd = [sys.executable, "-m", "basic.tinyworld", "build", "--data", str(self.data_dir), "--overwrite"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=quiet, text=True)
        if done.returncode != 0 or not is_features_folder(out):
            raise DatasetError(f"building the tiny world failed ({' '.join(cmd[1:])}, exit {done.returncode}); "
                               f"expected its features in {out}" + (f"\n{done.stderr[-2000:]}" if quiet else ""))
        return out

    def labels(self) -> Labels:
        from .icir import load_icir
        self.prepare()
        if self.root.is_dir():
            d = load_icir(self.root)
            return Labels(self.root, d.queries, d.database)
        return super().labels()

    def distractors(self, count: int, backbone: str | None = None):
        """Random distractors from the tiny world's own generator (instances and categories not in the
        benchmark, random conditions): rendered and encoded once, cached, resumable."""
        if backbone not in (None, "tiny"):
            return None
        from .tinyworld import distractors as generator
        generator.make(count, self.data_dir, progress=False)     # renders and encodes only what is missing
        return generator.load(count, self.data_dir)

    def categories(self, instances) -> pd.Series | None:
        """The tiny world's instance ids are ``category_name``."""
        instances = pd.Index(sorted(set(instances)))
        if all("_" in i for i in instances):
            return pd.Series([i.split("_", 1)[0] for i in instances], index=instances, name="category")
        return None


def _warn_if_stale(out: Path) -> None:
    try:
        from .tinyworld.model import CHECKPOINT
    except ImportError:
        return
    if CHECKPOINT.is_file() and CHECKPOINT.stat().st_mtime > features_file(out).stat().st_mtime:
        print(f"warning: {out} is older than the tiny CLIP checkpoint {CHECKPOINT.name}; rebuild it with "
              "`python -m basic.tinyworld build --overwrite`", file=sys.stderr)


@register_dataset
class ICIR(Dataset):
    """The real i-CIR, from a features folder extracted beforehand on a GPU (docs/realpath.md)."""
    name = "icir"
    note = ("Real i-CIR: our numbers, next to the paper's where the paper's were transcribed "
            "(docs/paper.md).")
    default_backbone = "clip"
    figures_subdir = "icir"
    paper_comparable = True

    def default_data_dir(self) -> Path:
        return Path(os.environ.get("BASIC_ICIR_FEATURES") or REPO / "features" / "clip")

    def missing_message(self, folder: Path, backbone: str | None) -> str:
        return (f"no i-CIR features in {folder}. Fetch i-CIR and extract its features first (a GPU is advised):\n"
                f"    python -m basic.realpath --backbone {backbone or 'clip'} --out {folder}\n"
                "then pass data_dir= (papermill: -p data_dir ...) or set $BASIC_ICIR_FEATURES (docs/realpath.md)")

    def labels(self) -> Labels:
        """The images are looked for in $BASIC_ICIR_ROOT, else where the features say, else where
        ``basic.realpath`` puts either download (the tarball or the Hugging Face copy); without them, pictures
        show file names only."""
        from .icir import load_icir
        features = self.load_features()
        for root in self.image_roots(features.meta.get("root")):
            if root.is_dir():
                try:
                    d = load_icir(root)              # either layout: CSVs at the root or in annotations/
                except (OSError, ValueError):
                    continue
                return Labels(root, d.queries, d.database)
        return Labels(None, features.queries, features.database)

    @staticmethod
    def image_roots(recorded: str | None = None) -> list[Path]:
        """Where a copy of i-CIR's images may be, in the order looked at."""
        from .fetch import ICIR_TARBALL, cache_dir
        cache = cache_dir()
        found = [os.environ.get("BASIC_ICIR_ROOT"), recorded,
                 cache / ICIR_TARBALL.replace(".tar.gz", "") / "icir",     # basic.realpath --source tarball
                 cache / "icir_hf"]                                       # basic.realpath --source hf
        return [Path(r) for r in found if r]


@register_dataset
class Golden(Dataset):
    """The small golden case (``tests/golden/small``, vendored; or ``$BASIC_GOLDEN_DIR/small``): features only,
    no images; for developing notebooks without building anything."""
    name = "golden"
    note = "The small golden case (random features for parity tests): the numbers mean nothing."

    def default_data_dir(self) -> Path:
        return Path(os.environ.get("BASIC_GOLDEN_DIR") or REPO / "tests" / "golden") / "small"

    def features_dir(self, backbone: str | None = None) -> Path:
        return self.data_dir

from . import semantic as _semantic  # noqa: E402,F401  (registers the semantic-level datasets: basic/semantic.py)
