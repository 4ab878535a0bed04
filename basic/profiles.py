"""Where the companion notebooks get their data: one call per profile (the paper's numbers: ``basic.paper``).

Profiles:

``tiny`` (the default)
    The offline tiny world (``basic.tinyworld``): a tiny i-CIR rendered in i-CIR's file layout and its
    features, extracted with our own tiny CLIP. Built on first use (``python -m basic.tinyworld build``)
    and cached under ``data/tiny/``, so later notebooks reuse it. Its numbers are the tiny world's, not
    the paper's.
``icir``
    The real i-CIR, from a features folder extracted beforehand on a GPU
    (``python -m basic.realpath --backbone clip --out features/clip``; see docs/realpath.md).
``golden``
    The small golden case (``tests/golden/small``, vendored; or ``$BASIC_GOLDEN_DIR/small``): features only,
    no images; for developing notebooks without building anything.

    >>> from basic.profiles import load_features
    >>> features = load_features("tiny")           # doctest: +SKIP
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .features import Features, features_file, is_features_folder

REPO = Path(__file__).resolve().parent.parent
PROFILES = ("tiny", "icir", "golden")
DEFAULT_BACKBONE = {"tiny": "tiny", "icir": "clip", "golden": None}

class ProfileError(RuntimeError):
    """A profile's data is missing; the message says which command makes it."""


def _check(profile: str) -> str:
    if profile not in PROFILES:
        raise ProfileError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    return profile


def default_data_dir(profile: str) -> Path:
    """tiny: $BASIC_DATA_DIR or data/tiny (as basic.tinyworld); icir: $BASIC_ICIR_FEATURES or features/clip;
    golden: $BASIC_GOLDEN_DIR/small or tests/golden/small (vendored)."""
    _check(profile)
    if profile == "tiny":
        return Path(os.environ.get("BASIC_DATA_DIR") or REPO / "data" / "tiny")
    if profile == "icir":
        return Path(os.environ.get("BASIC_ICIR_FEATURES", REPO / "features" / "clip"))
    golden = Path(os.environ.get("BASIC_GOLDEN_DIR") or REPO / "tests" / "golden")
    return golden / "small"


# ----------------------------------------------------------------------------- the tiny world
TINY_VERSION = "tiny-icir-2.0"  # = basic.tinyworld.data.VERSION (kept here so that profiles never imports torch)


def _tiny_features_dir(data_dir: Path, backbone: str | None) -> Path:
    return data_dir / TINY_VERSION / "features" / (backbone or "tiny")


def tiny_root(data_dir: Path) -> Path:
    """The tiny i-CIR folder (i-CIR's layout: query/, database/, query_files.csv, database_files.csv)."""
    return data_dir / TINY_VERSION / "icir"


def _tiny_version(folder: Path) -> str | None:
    import json
    try:
        return json.loads((folder / "meta.json").read_text()).get("dataset_version")
    except (OSError, ValueError):
        return None


def build_tiny(data_dir: str | os.PathLike | None = None, quiet: bool = False) -> Path:
    """Build the tiny world and its features if missing (``python -m basic.tinyworld build``); return the folder.

    Features of another version of the tiny world are never used: they are rebuilt for this version."""
    data_dir = Path(data_dir) if data_dir else default_data_dir("tiny")
    out = _tiny_features_dir(data_dir, None)
    if is_features_folder(out) and _tiny_version(out) == TINY_VERSION:
        try:
            from .tinyworld.model import CHECKPOINT
            if CHECKPOINT.is_file() and CHECKPOINT.stat().st_mtime > features_file(out).stat().st_mtime:
                print(f"warning: {out} is older than the tiny CLIP checkpoint {CHECKPOINT.name}; rebuild it with "
                      "`python -m basic.tinyworld build --overwrite`", file=sys.stderr)
        except ImportError:
            pass
        return out
    if out.is_dir() and _tiny_version(out) not in (None, TINY_VERSION):
        print(f"{out} holds features of {_tiny_version(out)}, not {TINY_VERSION}: rebuilding", file=sys.stderr)
    print("building the tiny world (first use; cached afterwards) ...", file=sys.stderr)
    cmd = [sys.executable, "-m", "basic.tinyworld", "build", "--data", str(data_dir), "--overwrite"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=quiet, text=True)
    if done.returncode != 0 or not is_features_folder(out):
        raise ProfileError(f"building the tiny world failed ({' '.join(cmd[1:])}, exit {done.returncode}); "
                           f"expected its features in {out}" + (f"\n{done.stderr[-2000:]}" if quiet else ""))
    return out


# ----------------------------------------------------------------------------- the one entry point
def features_dir(profile: str = "tiny", data_dir=None, backbone: str | None = None) -> Path:
    """The features folder a profile reads (not built or checked)."""
    _check(profile)
    data_dir = Path(data_dir) if data_dir else default_data_dir(profile)
    if profile == "tiny":
        return _tiny_features_dir(data_dir, backbone if backbone not in (None, "tiny") else None)
    if profile == "icir" and backbone and data_dir.name != backbone and (data_dir.parent / backbone).is_dir():
        return data_dir.parent / backbone
    return data_dir


def load_features(profile: str = "tiny", data_dir=None, backbone: str | None = None) -> Features:
    """The Features of a profile: tiny (built on first use), icir (extracted beforehand) or golden."""
    _check(profile)
    if profile == "tiny":
        build_tiny(data_dir)
    folder = features_dir(profile, data_dir, backbone)
    if not is_features_folder(folder):
        if profile == "icir":
            raise ProfileError(
                f"no i-CIR features in {folder}. Fetch i-CIR and extract its features first (a GPU is advised):\n"
                f"    python -m basic.realpath --backbone {backbone or 'clip'} --out {folder}\n"
                "then pass data_dir= (papermill: -p data_dir ...) or set $BASIC_ICIR_FEATURES (docs/realpath.md)")
        raise ProfileError(f"no features in {folder} for profile {profile!r}")
    return Features.load(folder)


@dataclass
class Dataset:
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


def dataset(profile: str = "tiny", data_dir=None) -> Dataset:
    """The benchmark's root folder and label frames (columns instance, text, path).

    icir: the images are looked for in $BASIC_ICIR_ROOT, else in the download cache of ``basic.realpath``;
    without them, pictures show file names only."""
    _check(profile)
    from .icir import load_icir
    if profile == "tiny":
        build_tiny(data_dir)
        root = tiny_root(Path(data_dir) if data_dir else default_data_dir("tiny"))
        if root.is_dir():
            d = load_icir(root)
            return Dataset(root, d.queries, d.database)
    if profile == "icir":
        features = load_features("icir", data_dir)
        root = os.environ.get("BASIC_ICIR_ROOT") or features.meta.get("root")
        if not root:
            from .fetch import cache_dir
            root = cache_dir() / "icir_v1.0.0" / "icir"          # where basic.realpath unpacks the tarball
        if Path(root).is_dir():
            d = load_icir(root)
            return Dataset(Path(root), d.queries, d.database)
        return Dataset(None, features.queries, features.database)
    features = load_features(profile, data_dir)
    return Dataset(None, features.queries, features.database)


def categories(instances, profile: str = "tiny") -> pd.Series | None:
    """Category of each instance: the tiny world's ids are ``category_name``; i-CIR ships no categories."""
    instances = pd.Index(sorted(set(instances)))
    if profile == "icir":
        return None
    if all("_" in i for i in instances):
        return pd.Series([i.split("_", 1)[0] for i in instances], index=instances, name="category")
    return None


def note(profile: str) -> str:
    """The one sentence each notebook prints about whose numbers these are."""
    return {"tiny": "These are the TINY WORLD's numbers (our rendered mini-benchmark and tiny CLIP), "
                    "not the paper's: compare trends, not values.",
            "icir": "Real i-CIR: our numbers, next to the paper's where the paper's were transcribed "
                    "(docs/paper.md).",
            "golden": "The small golden case (random features for parity tests): the numbers mean nothing."}[
        _check(profile)]
