"""One container for everything BASIC reads, and its on-disk format (``docs/format.md``).

A features folder (format 2, written by ``Features.save``) holds one ``.npy`` per array, so that
``Features.load`` maps the arrays instead of reading them (no copy; the page cache is shared)::

    FOLDER/
      meta.json          provenance (free-form) + "features_format": {name, version, arrays, labels}
      query_image.npy    (Q,d)   query_text.npy (Q,d)   [query_text_context.npy (Q,d)]
      db_image.npy       (N,d)   db_norms.npy (N,) float32: ‖x‖ of every db_image row (derived, checked on load)
      [corpus_pos.npy (P,d)  corpus_neg.npy (M,d)  image_mean.npy (d,)
       synthetic_image.npy (S,d)  synthetic_text.npy (S,d)]
      [corpus_pos_prompts.npy  corpus_neg_prompts.npy  synthetic_prompts.npy]  unicode
      labels/vocabulary.json              {"instance": [...], "text": [...], "path": [...]}
      labels/{query,database}_{instance,text,path}.npy   int32 codes into that vocabulary

The old layout (format 1: ``features.npz`` + ``queries.csv`` + ``database.csv`` [+ ``meta.json``]; the
golden cases use it) still loads, more slowly, with a one-line hint; ``python -m basic convert FOLDER``
(``convert``) rewrites it. A folder is saved atomically as a whole: written into a temporary sibling
folder, then swapped into place, so an interrupted save (or overwrite) never leaves a mixed folder.

Arrays are stored as given (not normalised); BASIC L2-normalises every input itself. Loaded arrays
are read-only. Readers and a writer for the reference implementation's pickles live in
``basic.reference_io``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .fileio import atomic_write, replace_folder  # noqa: F401  (atomic_write: re-exported for older imports)

ARRAY_FIELDS = (
    "query_image", "query_text", "query_text_context", "db_image",
    "corpus_pos", "corpus_neg", "image_mean", "synthetic_image", "synthetic_text",
)
PROMPT_FIELDS = ("corpus_pos_prompts", "corpus_neg_prompts", "synthetic_prompts")
LABEL_COLUMNS = ("instance", "text", "path")

FORMAT_NAME = "basic.features"
FORMAT_VERSION = 2
FORMAT_KEY = "features_format"           # the key of meta.json that marks (and describes) a format-2 folder
NORMS_FILE = "db_norms.npy"
LABELS_DIR = "labels"
VOCABULARY_FILE = "vocabulary.json"
OLD_FILES = ("features.npz", "queries.csv", "database.csv")      # format 1
NORM_SAMPLE = 64                          # database rows whose stored norm is recomputed on load


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
    #: derived data computed once per object (label codes, norms...): owned and managed by the methods below
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
        missing = sorted(set(pd.unique(self.queries.instance)) - set(pd.unique(self.database.instance)))
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

    # ------------------------------------------------------------------ derived data, computed once
    def cached(self, key: str, sources: tuple, compute):
        """``compute()`` once per object; recomputed when a source object was replaced (not mutated).

        Arrays are treated as read-only (loaded ones are): derived data is keyed by the identity of
        the objects it was computed from.
        """
        hit = self._derived.get(key)
        if hit is not None and len(hit[0]) == len(sources) and all(a is b for a, b in zip(hit[0], sources)):
            return hit[1]
        value = compute()
        self._derived[key] = (sources, value)
        return value

    def remember(self, key: str, sources: tuple, value) -> None:
        """Store derived data known from elsewhere (a loaded folder's label codes and norms) as if computed."""
        self._derived[key] = (sources, value)

    def forget(self, key: str) -> None:
        """Drop one piece of derived data, so that the next use computes it again."""
        self._derived.pop(key, None)

    def label_codes(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Integer codes of a label column shared by queries and database: (query codes, db codes, names)."""
        def compute():
            q = self.queries[column].to_numpy(dtype=object)
            codes, names = pd.factorize(np.concatenate([q, self.database[column].to_numpy(dtype=object)]))
            return codes[:len(q)], codes[len(q):], np.asarray(names, dtype=object)
        return self.cached(f"_codes_{column}", (self.queries, self.database), compute)

    def database_norms(self) -> np.ndarray:
        """‖x‖ (float32) of every db_image row: stored with a format-2 folder, else computed once here.

        Not checked for zero or non-finite rows (``basic.retrieval.database_norms`` does, naming the row).
        """
        return self.cached("_db_norms", (self.db_image,), lambda: row_norms(self.db_image))

    # ------------------------------------------------------------------ disk
    @staticmethod
    def exists(folder: str | os.PathLike) -> bool:
        """True when ``folder`` holds a features folder (either format)."""
        return is_features_folder(folder)

    def save(self, folder: str | os.PathLike, overwrite: bool = True) -> Path:
        """Write the folder (format 2) atomically as a whole; return its path.

        The folder is written into a temporary sibling and then swapped into place: a reader sees the
        old folder or the new one, never a mix, and an interrupted save leaves the old one intact (the
        temporary sibling ``.NAME.*.tmp`` may remain; delete it). Files in the folder that are not
        part of the format (a ``.cache``, notes) are kept. ``overwrite=False`` refuses to replace
        an existing features folder (FileExistsError).
        """
        folder = Path(folder)
        if not overwrite and is_features_folder(folder):
            raise FileExistsError(f"{folder} already holds features; choose another folder or overwrite it")
        return _replace_folder(folder, self._write_v2)

    def _write_v2(self, tmp: Path) -> None:
        if FORMAT_KEY in self.meta:
            raise FeaturesError(f"meta key {FORMAT_KEY!r} is reserved for the format description; rename it")
        arrays = {}
        for n in ARRAY_FIELDS:
            if getattr(self, n) is not None:
                arrays[n] = getattr(self, n)
        for n in PROMPT_FIELDS:
            if getattr(self, n) is not None:
                arrays[n] = np.asarray(getattr(self, n), dtype=str)
        described = {}
        for name, value in arrays.items():
            np.save(tmp / f"{name}.npy", value, allow_pickle=False)
            described[name] = {"shape": list(value.shape), "dtype": value.dtype.str}
        np.save(tmp / NORMS_FILE, np.asarray(self.database_norms(), np.float32), allow_pickle=False)
        (tmp / LABELS_DIR).mkdir()
        vocabulary = {}
        for column in LABEL_COLUMNS:
            q_codes, d_codes, names = self.label_codes(column)
            vocabulary[column] = [str(x) for x in names]
            np.save(tmp / LABELS_DIR / f"query_{column}.npy", q_codes.astype(np.int32), allow_pickle=False)
            np.save(tmp / LABELS_DIR / f"database_{column}.npy", d_codes.astype(np.int32), allow_pickle=False)
        with open(tmp / LABELS_DIR / VOCABULARY_FILE, "w", encoding="utf-8") as f:
            json.dump(vocabulary, f, ensure_ascii=False)
        fmt = {"name": FORMAT_NAME, "version": FORMAT_VERSION, "arrays": described,
               "labels": {"columns": list(LABEL_COLUMNS), "queries": len(self.queries),
                          "database": len(self.database)},
               "db_norms": NORMS_FILE}
        with open(tmp / "meta.json", "w", encoding="utf-8") as f:        # written last: it marks the folder
            json.dump({FORMAT_KEY: fmt, **self.meta}, f, indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def load(cls, folder: str | os.PathLike, mmap: bool = True) -> "Features":
        """Read a features folder: format 2 (arrays memory-mapped, read-only) or the old .npz layout.

        ``mmap=False`` reads format-2 arrays into memory instead. An old-layout folder is read as it is
        (nothing is written) and a one-line hint to convert it is printed once.
        """
        folder = Path(folder)
        version = folder_format(folder)
        if version == 2:
            return _load_v2(cls, folder, mmap)
        if version == 1:
            _hint_old_format(folder)
            return _load_v1(cls, folder)
        raise FileNotFoundError(
            f"{folder} is not a features folder: it needs meta.json with {FORMAT_KEY!r} (format 2) or "
            "features.npz, queries.csv and database.csv (old format); see docs/format.md. Build one with "
            "Features.save() or basic.reference_io" + _leftover_note(folder))


# ---------------------------------------------------------------------------------------- formats
def folder_format(folder: str | os.PathLike) -> int | None:
    """2 for a format-2 folder, 1 for the old .npz layout, None when ``folder`` holds no features."""
    folder = Path(folder)
    meta = folder / "meta.json"
    if meta.is_file():
        try:
            if FORMAT_KEY in json.loads(meta.read_text(encoding="utf-8")):
                return 2
        except (ValueError, OSError):
            pass
    if (folder / "features.npz").is_file():
        return 1
    return None


def is_features_folder(folder: str | os.PathLike) -> bool:
    """True when ``folder`` holds features (format 2 or the old .npz layout)."""
    return folder_format(folder) is not None


def features_file(folder: str | os.PathLike) -> Path | None:
    """The file that marks a features folder (meta.json, or features.npz for the old layout); its
    modification time is when the features were saved. None when there are none."""
    version = folder_format(folder)
    return None if version is None else Path(folder) / ("meta.json" if version == 2 else "features.npz")


_HINTED: set = set()


def _hint_old_format(folder: Path) -> None:
    key = str(folder.resolve())
    if key not in _HINTED:
        _HINTED.add(key)
        print(f"hint: {folder} uses the old .npz layout (read whole on every load); "
              f"`python -m basic convert {folder}` makes loads map the arrays instead", file=sys.stderr)


def _leftover_note(folder: Path) -> str:
    left = sorted(folder.parent.glob(f".{folder.name}.*.tmp")) if folder.parent.is_dir() else []
    return (f" (an interrupted save left {left[0]} beside it)" if left else "")


def _check_array_names(names, where: Path) -> None:
    """Every array is a known field, and the three required ones are there; errors name ``where``."""
    unknown = set(names) - set(ARRAY_FIELDS) - set(PROMPT_FIELDS)
    if unknown:
        raise FeaturesError(f"{where} lists unknown arrays {sorted(unknown)}; known: {ARRAY_FIELDS + PROMPT_FIELDS}")
    for required in ("query_image", "query_text", "db_image"):
        if required not in names:
            raise FeaturesError(f"{where} lacks the required array '{required}'")


def _load_v1(cls, folder: Path) -> "Features":
    npz = folder / "features.npz"
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    _check_array_names(arrays, npz)
    meta = {}
    if (folder / "meta.json").is_file():
        meta = json.loads((folder / "meta.json").read_text())
    return cls(queries=read_labels(folder / "queries.csv"),
               database=read_labels(folder / "database.csv"), meta=meta, **arrays)


def _npy(path: Path, mmap: bool, want: dict | None = None) -> np.ndarray:
    if not path.is_file():
        raise FeaturesError(f"{path} is missing but {path.parent / 'meta.json'} lists it: the folder is "
                            "incomplete; save or convert it again")
    try:
        value = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError:                      # an empty array cannot be mapped
        value = np.load(path, allow_pickle=False)
    if want is not None and (list(value.shape) != list(want["shape"]) or value.dtype.str != want["dtype"]):
        raise FeaturesError(
            f"{path} holds {value.dtype.str} {list(value.shape)} but meta.json says {want['dtype']} "
            f"{want['shape']}: the folder mixes two saves; save or convert it again")
    return np.asarray(value)               # an ndarray view of the map (no copy)


def _load_v2(cls, folder: Path, mmap: bool) -> "Features":
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    fmt = meta.pop(FORMAT_KEY)
    if not isinstance(fmt, dict) or fmt.get("name") != FORMAT_NAME or not isinstance(fmt.get("version"), int):
        raise FeaturesError(f"{folder / 'meta.json'}: {FORMAT_KEY!r} is not a {FORMAT_NAME} description")
    if fmt["version"] > FORMAT_VERSION:
        raise FeaturesError(f"{folder} is in features format {fmt['version']}, newer than this basic "
                            f"(format {FORMAT_VERSION}); update the package")
    described = fmt.get("arrays", {})
    _check_array_names(described, folder / "meta.json")
    arrays = {name: _npy(folder / f"{name}.npy", mmap, want) for name, want in described.items()}
    queries, database, codes = _read_label_codes(folder, fmt)
    features = cls(queries=queries, database=database, meta=meta, **arrays)
    for column, (q, d, names) in codes.items():
        if column != "path":
            features.remember(f"_codes_{column}", (features.queries, features.database), (q, d, names))
    norms = _checked_norms(folder / fmt.get("db_norms", NORMS_FILE), features.db_image)
    if norms is not None:
        features.remember("_db_norms", (features.db_image,), norms)
    return features


def _read_label_codes(folder: Path, fmt: dict):
    where = folder / LABELS_DIR
    try:
        vocabulary = json.loads((where / VOCABULARY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FeaturesError(f"{where / VOCABULARY_FILE} is missing: the folder is incomplete; "
                            "save or convert it again") from None
    tables = {"query": {}, "database": {}}
    codes = {}
    counts = fmt.get("labels", {})
    for column in LABEL_COLUMNS:
        names = np.array(vocabulary.get(column, []), dtype=object)
        pair = []
        for table, n in (("query", counts.get("queries")), ("database", counts.get("database"))):
            path = where / f"{table}_{column}.npy"
            c = _npy(path, mmap=False)
            if c.ndim != 1 or not np.issubdtype(c.dtype, np.integer) or (n is not None and len(c) != n) or (
                    len(c) and (c.min() < 0 or c.max() >= len(names))):
                raise FeaturesError(f"{path} does not hold {n} codes into the {len(names)} '{column}' names "
                                    f"of {where / VOCABULARY_FILE}: save or convert the folder again")
            tables[table][column] = names[c]
            pair.append(c)
        codes[column] = (pair[0], pair[1], names)
    return pd.DataFrame(tables["query"]), pd.DataFrame(tables["database"]), codes


def row_norms(x: np.ndarray) -> np.ndarray:
    """‖x_i‖ of every row, accumulated in float64, returned as float32 (what the database norms store)."""
    return np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64)).astype(np.float32)


def _checked_norms(path: Path, db: np.ndarray) -> np.ndarray | None:
    """Stored norms if they pass the cheap checks (shape, finite where the rows are, a sample of rows
    recomputed); otherwise None with a one-line warning (they are then recomputed when needed)."""
    if not path.is_file():
        return None
    norms = np.load(path, allow_pickle=False)
    n = len(db)
    problem = None
    if norms.shape != (n,) or norms.dtype != np.float32:
        problem = f"holds {norms.dtype} {norms.shape}, expected float32 ({n},)"
    elif n:
        # a sample spread over the file, a seeded random sample, and every non-finite entry (up to 1024):
        # a NaN row stores a NaN norm (retrieval then names the row); a NaN norm of a finite row is stale
        rows = np.unique(np.concatenate([np.linspace(0, n - 1, NORM_SAMPLE // 2).astype(np.int64),
                                         np.random.default_rng(n).integers(0, n, NORM_SAMPLE // 2),
                                         np.flatnonzero(~np.isfinite(norms))[:1024]]))
        fresh = row_norms(db[rows])
        agree = np.isclose(norms[rows], fresh, rtol=1e-5, atol=0, equal_nan=True)
        if not agree.all():
            r = int(rows[~agree][0])
            problem = f"row {r} stores {norms[r]} but db_image gives {fresh[~agree][0]}"
    if problem is None:
        return norms
    print(f"warning: {path} {problem}; recomputing the norms (re-save the folder, e.g. "
          f"`python -m basic convert {path.parent}`, to store correct ones)", file=sys.stderr)
    return None


# ---------------------------------------------------------------------------------------- conversion
def convert(folder: str | os.PathLike, out: str | os.PathLike | None = None, overwrite: bool = False) -> Path:
    """Rewrite a features folder in format 2: in place (``out=None``) or into ``out``.

    In place, the new folder is written beside the old one, checked against it (every array and label
    equal), then swapped in; only then are the old files removed. Other files in the folder are kept.
    A folder already in format 2 is rewritten too (its stored norms recomputed). ``out`` must not hold
    features unless ``overwrite``.
    """
    folder = Path(folder)
    if folder_format(folder) is None:
        Features.load(folder)                 # raises the not-a-features-folder error
    source = Features.load(folder, mmap=True) if folder_format(folder) == 2 else _load_v1(Features, folder)
    target = folder if out is None else Path(out)
    if out is not None and not overwrite and is_features_folder(target):
        raise FileExistsError(f"{target} already holds features; choose another --out or pass --overwrite")
    source.forget("_db_norms")                # recompute, whatever was stored

    def write_and_check(tmp: Path) -> None:
        source._write_v2(tmp)
        _check_same(source, Features.load(tmp, mmap=True), tmp)
    return _replace_folder(target, write_and_check)


def _check_same(a: Features, b: Features, where: Path) -> None:
    for name in ARRAY_FIELDS + PROMPT_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        x = None if x is None else np.asarray(x)
        nan_ok = x is not None and x.dtype.kind in "fc"   # equal_nan is defined for numbers only (not prompts)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y, equal_nan=nan_ok)):
            raise FeaturesError(f"converting: {name} differs after writing {where}; nothing was replaced")
    for table in ("queries", "database"):
        if not getattr(a, table).astype(object).equals(getattr(b, table).astype(object)):
            raise FeaturesError(f"converting: the {table} labels differ after writing {where}; nothing was replaced")
    if a.meta != b.meta:
        raise FeaturesError(f"converting: meta.json differs after writing {where}; nothing was replaced")


# ---------------------------------------------------------------------------------------- atomic writes
#: the entries of a features folder: a save replaces these, and keeps whatever else the folder holds
_OWN = {"meta.json", NORMS_FILE, LABELS_DIR, *OLD_FILES, *(f"{n}.npy" for n in ARRAY_FIELDS + PROMPT_FIELDS)}


def _replace_folder(folder: Path, write) -> Path:
    return replace_folder(folder, write, own=_OWN)


def read_labels(path: str | os.PathLike) -> pd.DataFrame:
    """Read a labels CSV with columns instance,text,path (header required)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: it must list instance,text,path for each row of features")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
