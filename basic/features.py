"""One container for everything BASIC reads, and its on-disk format.

The on-disk format is the golden-case layout (see ``docs/format.md``)::

    FOLDER/
      features.npz   float32 arrays: query_image (Q,d), query_text (Q,d),
                     [query_text_context (Q,d)], db_image (N,d),
                     [corpus_pos (P,d), corpus_neg (M,d), image_mean (d,),
                      synthetic_image (S,d), synthetic_text (S,d)],
                     [corpus_pos_prompts (P,), corpus_neg_prompts (M,),
                      synthetic_prompts (S,)]  unicode arrays
      queries.csv    columns instance,text,path   (row i <-> row i of query_*)
      database.csv   columns instance,text,path   (row i <-> row i of db_image)
      meta.json      optional: free-form provenance (backbone, dataset version...)

Arrays are stored as given (not normalised); BASIC L2-normalises every input itself.
Readers and a writer for the reference implementation's pickles live in
``basic.reference_io``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ARRAY_FIELDS = (
    "query_image", "query_text", "query_text_context", "db_image",
    "corpus_pos", "corpus_neg", "image_mean", "synthetic_image", "synthetic_text",
)
PROMPT_FIELDS = ("corpus_pos_prompts", "corpus_neg_prompts", "synthetic_prompts")
LABEL_COLUMNS = ("instance", "text", "path")


class FeaturesError(ValueError):
    """Raised when features or labels are inconsistent; the message says how to fix it."""


def _labels(frame: pd.DataFrame | None, n: int, what: str) -> pd.DataFrame:
    if frame is None:
        raise FeaturesError(f"{what} labels are missing: give a DataFrame with columns {LABEL_COLUMNS}")
    frame = pd.DataFrame(frame).reset_index(drop=True)
    missing = [c for c in ("instance", "text") if c not in frame.columns]
    if missing:
        raise FeaturesError(f"{what} labels lack column(s) {missing}; expected columns {LABEL_COLUMNS}")
    if "path" not in frame.columns:
        frame["path"] = [f"{what}/{i}" for i in range(len(frame))]
    frame = frame[list(LABEL_COLUMNS)].astype(str)
    if len(frame) != n:
        raise FeaturesError(
            f"{what} labels have {len(frame)} rows but the {what} features have {n} rows: "
            "row i of the labels must describe row i of the features")
    return frame


@dataclass
class Features:
    """Features of one benchmark (i-CIR, the tiny world, a golden case) plus BASIC's assets.

    queries / database: DataFrames with columns instance, text, path. A database item is a
    positive for a query when both its instance and its text equal the query's; each instance
    has its own database (a query is ranked only against items of its instance).
    """

    query_image: np.ndarray
    query_text: np.ndarray
    db_image: np.ndarray
    queries: pd.DataFrame
    database: pd.DataFrame
    query_text_context: np.ndarray | None = None
    corpus_pos: np.ndarray | None = None
    corpus_neg: np.ndarray | None = None
    image_mean: np.ndarray | None = None
    synthetic_image: np.ndarray | None = None
    synthetic_text: np.ndarray | None = None
    corpus_pos_prompts: np.ndarray | None = None
    corpus_neg_prompts: np.ndarray | None = None
    synthetic_prompts: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ARRAY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value)
                if name == "image_mean":
                    value = value.reshape(-1)
                setattr(self, name, value)
        self.queries = _labels(self.queries, len(self.query_image), "query")
        self.database = _labels(self.database, len(self.db_image), "database")
        self.validate()

    # ------------------------------------------------------------------ checks
    @property
    def dim(self) -> int:
        return int(self.query_image.shape[1])

    def validate(self) -> None:
        """Check shapes and dimensions; raise FeaturesError naming the offending array."""
        d = None
        for name in ARRAY_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            want_ndim = 1 if name == "image_mean" else 2
            if value.ndim != want_ndim:
                raise FeaturesError(f"{name} must be {want_ndim}-D, got shape {value.shape}")
            if not np.issubdtype(value.dtype, np.floating):
                raise FeaturesError(f"{name} must hold floats, got dtype {value.dtype}")
            width = value.shape[-1]
            if d is None:
                d = width
            elif width != d:
                raise FeaturesError(
                    f"dimensions disagree: {name} has d={width} but query_image has d={d}; "
                    "all features must come from the same backbone")
        q = len(self.query_image)
        for name in ("query_text", "query_text_context"):
            value = getattr(self, name)
            if value is not None and len(value) != q:
                raise FeaturesError(f"{name} has {len(value)} rows but query_image has {q}")
        for a, b in (("corpus_pos", "corpus_pos_prompts"), ("corpus_neg", "corpus_neg_prompts"),
                     ("synthetic_text", "synthetic_prompts")):
            arr, prompts = getattr(self, a), getattr(self, b)
            if arr is not None and prompts is not None and len(arr) != len(prompts):
                raise FeaturesError(f"{b} has {len(prompts)} entries but {a} has {len(arr)} rows")
        si, st = self.synthetic_image, self.synthetic_text
        if (si is None) != (st is None) or (si is not None and len(si) != len(st)):
            raise FeaturesError("synthetic_image and synthetic_text must both be given, with equal row counts")
        missing = sorted(set(self.queries.instance) - set(self.database.instance))
        if missing:
            raise FeaturesError(
                f"instance(s) {missing[:5]} have queries but no database items; every instance "
                "needs its own database (drop those queries or add their database)")
        from .validate import check_finite   # NaN / infinity anywhere: an error naming the array and row
        check_finite(self)

    def nbytes(self) -> int:
        return sum(getattr(self, n).nbytes for n in ARRAY_FIELDS if getattr(self, n) is not None)

    def replace(self, **changes) -> "Features":
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ disk
    def save(self, folder: str | os.PathLike) -> Path:
        """Write the folder layout described in the module docstring; each file is written atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {n: getattr(self, n) for n in ARRAY_FIELDS if getattr(self, n) is not None}
        for n in PROMPT_FIELDS:
            if getattr(self, n) is not None:
                arrays[n] = np.asarray(getattr(self, n), dtype=str)
        _atomic(folder / "features.npz", lambda f: np.savez(f, **arrays), binary=True)
        _atomic(folder / "queries.csv", lambda f: self.queries.to_csv(f, index=False))
        _atomic(folder / "database.csv", lambda f: self.database.to_csv(f, index=False))
        if self.meta:
            _atomic(folder / "meta.json", lambda f: json.dump(self.meta, f, indent=2, sort_keys=True))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "Features":
        """Read a folder in the documented layout (a golden case folder works as is)."""
        folder = Path(folder)
        npz = folder / "features.npz"
        if not npz.is_file():
            raise FileNotFoundError(
                f"{npz} not found: a features folder holds features.npz, queries.csv and database.csv "
                "(see docs/format.md); build one with Features.save() or basic.reference_io")
        with np.load(npz, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        unknown = set(arrays) - set(ARRAY_FIELDS) - set(PROMPT_FIELDS)
        if unknown:
            raise FeaturesError(f"{npz} holds unknown arrays {sorted(unknown)}; known: {ARRAY_FIELDS + PROMPT_FIELDS}")
        for required in ("query_image", "query_text", "db_image"):
            if required not in arrays:
                raise FeaturesError(f"{npz} lacks the required array '{required}'")
        meta = {}
        if (folder / "meta.json").is_file():
            meta = json.loads((folder / "meta.json").read_text())
        return cls(queries=read_labels(folder / "queries.csv"),
                   database=read_labels(folder / "database.csv"), meta=meta, **arrays)


def read_labels(path: str | os.PathLike) -> pd.DataFrame:
    """Read a labels CSV with columns instance,text,path (header required)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: it must list instance,text,path for each row of features")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def atomic_write(path: str | os.PathLike, write, binary: bool = False) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file.

    ``write`` receives the open file (text mode with newline="" unless ``binary``). The parent folder is
    created; the file gets mode 0644 (mkstemp would leave 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_atomic = atomic_write
