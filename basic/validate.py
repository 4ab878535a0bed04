"""Checks on what users hand us: finite features, readable files, safe output paths, and warnings for the
cases that would otherwise pass silently (queries without a positive, duplicate rows).

Each check raises an error (or warns) naming the array, the row, the file or the instance, and saying
how to fix it. ``basic.features``, ``basic.retrieval`` and ``basic.cli`` call these small functions.
"""
from __future__ import annotations

import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .equations import InputError
from .features import ARRAY_FIELDS, FeaturesError

#: arrays whose rows are described by a labels table (for messages naming the image)
_LABELLED = {"query_image": "queries", "query_text": "queries", "query_text_context": "queries",
             "db_image": "database"}


class NonFiniteError(FeaturesError, InputError):
    """An array holds NaN or infinite values (both a FeaturesError and an equations.InputError)."""


class InputWarning(UserWarning):
    """Input that runs but probably does not mean what the user wants (AP 0 queries, duplicate rows)."""


# ---------------------------------------------------------------------------- features
def all_finite(array: np.ndarray) -> bool:
    """True when every entry is finite; one float64 sum first (fast), the entries only when it is not finite."""
    array = np.asarray(array)
    if array.size == 0 or not np.issubdtype(array.dtype, np.floating):
        return True
    return bool(np.isfinite(array.sum(dtype=np.float64))) or bool(np.isfinite(array).all())


def describe_row(features, name: str, row: int) -> str:
    """'row 12 (database/inst0/3.jpg, instance inst0)' for labelled arrays, 'row 12' otherwise."""
    which = _LABELLED.get(name)
    labels = getattr(features, which, None) if which else None
    if labels is None or row >= len(labels):
        return f"row {row}"
    item = labels.iloc[row]
    return f"row {row} ({item['path']}, instance {item['instance']})"


def check_finite(features) -> None:
    """Raise NonFiniteError naming the first array and row holding NaN or infinity."""
    for name in ARRAY_FIELDS:
        value = getattr(features, name, None)
        if value is None or all_finite(value):
            continue
        bad = ~np.isfinite(value)
        if value.ndim == 1:
            index = int(np.flatnonzero(bad)[0])
            where = f"entry {index}"
        else:
            index = int(np.flatnonzero(bad.any(axis=1))[0])
            where = describe_row(features, name, index)
        count = int(bad.any(axis=-1).sum()) if value.ndim > 1 else int(bad.sum())
        raise NonFiniteError(
            f"{name}: {where} holds NaN or infinite values ({count} such {'rows' if value.ndim > 1 else 'entries'} "
            f"in all); every feature must be finite: re-extract it, or drop that row and its label")


def warn_duplicates(features) -> None:
    """Warn about repeated label rows: each copy is ranked (database) or scored (queries) separately."""
    for which, keys in (("database", ["instance", "path"]), ("queries", ["instance", "text", "path"])):
        labels = getattr(features, which)
        dup = labels.duplicated(subset=keys, keep="first")
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0])
            item = labels.iloc[row]
            warnings.warn(
                f"{which}: {int(dup.sum())} duplicate row(s) (same {', '.join(keys)}), e.g. row {row} "
                f"({item['path']}, instance {item['instance']}); each copy counts separately in ranks and AP. "
                "Drop the duplicates if they are not meant", InputWarning, stacklevel=3)


def warn_no_positive(queries: pd.DataFrame, rows: np.ndarray) -> None:
    """Warn about queries (global ``rows``) with no positive in their instance's database: their AP is 0."""
    if len(rows) == 0:
        return
    rows = np.sort(np.asarray(rows))
    first = queries.iloc[int(rows[0])]
    counts = queries.instance.value_counts()
    empty = queries.iloc[rows].instance.value_counts()
    dead = sorted(str(i) for i, n in empty.items() if n == counts[i])
    msg = (f"{len(rows)} quer{'y has' if len(rows) == 1 else 'ies have'} no positive in "
           f"{'its' if len(rows) == 1 else 'their'} instance's database "
           f"and score AP 0, e.g. query row {int(rows[0])} (instance {first['instance']}, text {first['text']!r}, "
           f"{first['path']})")
    if dead:
        msg += f"; instance(s) with no positive for any query: {dead[:10]}{' ...' if len(dead) > 10 else ''}"
    msg += ". A positive is a database item with the same instance AND text as the query: check the labels"
    warnings.warn(msg, InputWarning, stacklevel=3)


def check_scores(scores: np.ndarray, instance: str, query_rows, queries: pd.DataFrame) -> None:
    """Raise InputError naming the instance and query when fused scores are NaN or infinite."""
    if all_finite(scores):
        return
    local = int(np.flatnonzero(~np.isfinite(scores).all(axis=1))[0])
    row = int(np.asarray(query_rows)[local])
    raise InputError(
        f"instance {instance!r}: the scores of query row {row} ({queries.path.iloc[row]}) are NaN or infinite, "
        "so its ranking would be meaningless; check that the features and the config's numbers are finite "
        "and of a sensible size")


# ---------------------------------------------------------------------------- reading a folder
def _probe(path: Path) -> None:
    """Read one file of a features folder fully; raise whatever reading it raises."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            for key in z.files:
                z[key]
    elif path.suffix == ".npy":
        np.load(path, allow_pickle=False)
    elif path.suffix == ".csv":
        pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))


_READ_ERRORS = (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError)


def unreadable_file(folder: str | os.PathLike) -> tuple[Path, BaseException] | None:
    """The first file of a features folder that cannot be read, with the error; None if all read."""
    folder = Path(folder)
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") or not path.is_file() or path.suffix not in (".npz", ".npy", ".csv", ".json"):
            continue
        try:
            _probe(path)
        except _READ_ERRORS as error:
            return path, error
    return None


def load_features(folder: str | os.PathLike):
    """``Features.load`` with errors that name the file at fault and say what to do (no pickle hints)."""
    from .features import Features
    folder = Path(folder)
    if not folder.exists():
        raise FeaturesError(f"{folder} not found: give a features folder (features.npz, queries.csv, "
                            "database.csv; see docs/format.md)")
    if not folder.is_dir():
        raise FeaturesError(f"{folder} is not a folder: give the features folder, not a file in it")
    try:
        return Features.load(folder)
    except FeaturesError as error:
        if str(folder) in str(error):
            raise
        raise type(error)(f"{folder}: {error}") from None
    except FileNotFoundError as error:
        raise FeaturesError(str(error)) from None
    except _READ_ERRORS as error:
        found = unreadable_file(folder)
        if found is None:
            raise FeaturesError(f"{folder} cannot be loaded: {type(error).__name__}: {error}") from None
        path, cause = found
        reason = str(cause).split("\n")[0]
        if "allow_pickle" in reason:
            reason = "it is not a numpy array file"
        raise FeaturesError(
            f"{path} cannot be read ({type(cause).__name__}: {reason}): the file is truncated, damaged or not "
            f"what its name says. Re-create the features folder (rerun the extraction with --overwrite, or "
            f"Features.save) or restore {path.name} from a copy") from None


# ---------------------------------------------------------------------------- writing results
def check_output_path(out: str | os.PathLike, protected: str | os.PathLike | None = None) -> Path:
    """Refuse an output path that is not (or would not become) a plain file, or lies inside ``protected``.

    Symlinks, FIFOs, devices, sockets and folders are refused as they are: replacing them would destroy
    what the user had. So is any path inside the folder being read (``protected``).
    """
    out = Path(out)
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise FeaturesError(f"cannot write {out}: a part of its path is a file, not a folder") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
                else "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or
                stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise FeaturesError(f"refusing to write {out}: it is {kind}, and it would be replaced by a plain file. "
                            "Give the path of a new or existing regular file")
    if protected is not None:
        folder = Path(protected).resolve()
        target = out.parent.resolve() / out.name
        if target == folder or folder in target.parents:
            raise FeaturesError(f"refusing to write {out}: it lies inside the features folder {protected} being "
                                "evaluated, whose files must stay as they are. Write it elsewhere")
    return out
