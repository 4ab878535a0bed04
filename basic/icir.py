"""The i-CIR loader: annotation CSVs -> label DataFrames, hard negatives, the paper's Fig. 2 statistics.

``query_files.csv`` and ``database_files.csv`` hold rows ``image_path,text_query,instance_id``.
The reference reads them without a header by splitting each line on ","; a header row
(``image_path,text_query,instance_id`` or ``path,text,instance``) is accepted too. A database
item whose path contains ``/hn/`` is a hard negative. Labels come out with the columns
``instance, text, path`` of :class:`basic.features.Features`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

HEADER_WORDS = {"image_path", "path", "image", "text_query", "text", "instance_id", "instance"}


@dataclass
class ICIR:
    """An i-CIR copy on disk: its root folder and the query / database labels."""

    root: Path
    queries: pd.DataFrame
    database: pd.DataFrame

    def to_features(self, query_image, query_text, db_image, **arrays):
        """The core package's container for these labels and the given (row-aligned) features."""
        from .features import Features
        return Features(query_image=query_image, query_text=query_text, db_image=db_image,
                        queries=self.queries, database=self.database, **arrays)

    def image_paths(self, which: str) -> list[Path]:
        """Absolute image paths of 'queries' or 'database', in label order."""
        frame = self.queries if which == "queries" else self.database
        return [resolve_image(self.root, p) for p in frame.path]


def read_annotations(csv_path: str | os.PathLike) -> pd.DataFrame:
    """Read an i-CIR annotation CSV (header or not) into columns instance, text, path.

    Like the reference, a row is split on commas into path, text, instance; a row with more than
    three fields is an error (the reference would silently mis-read it), so is an empty file.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"{csv_path} not found: i-CIR ships query_files.csv and database_files.csv "
                                "in its root folder (fetch it with basic.fetch.fetch_icir())")
    rows = []
    for number, line in enumerate(csv_path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        fields = line.split(",")
        if len(fields) != 3:
            raise ValueError(f"{csv_path}:{number}: expected 3 comma-separated fields "
                             f"image_path,text_query,instance_id, got {len(fields)}: {line!r}")
        if number == 1 and {f.strip().lower() for f in fields} <= HEADER_WORDS:
            continue  # a header row
        rows.append({"instance": fields[2].strip(), "text": fields[1].strip(), "path": fields[0].strip()})
    if not rows:
        raise ValueError(f"{csv_path} holds no rows")
    return pd.DataFrame(rows, columns=["instance", "text", "path"])


def annotation_file(root: str | os.PathLike, name: str) -> Path:
    """Find ``name`` in ``root`` (tarball layout) or ``root/annotations`` (Hugging Face layout)."""
    root = Path(root)
    for candidate in (root / name, root / "annotations" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} not found in {root} nor {root / 'annotations'}: is {root} the i-CIR "
                            "folder (icir/ with query/, database/, query_files.csv, database_files.csv)?")


def resolve_image(root: str | os.PathLike, rel: str) -> Path:
    """Resolve an annotation path: relative to the i-CIR folder, or to its parent (the reference's data/)."""
    root = Path(root)
    rel_path = Path(rel)
    if rel_path.is_absolute():
        return rel_path
    candidates = [root / rel_path, root.parent / rel_path]
    if len(rel_path.parts) > 1:
        candidates.append(root / Path(*rel_path.parts[1:]))  # 'icir/query/...' below a renamed icir folder
    return next((c for c in candidates if c.exists()), candidates[0])


def load_icir(root: str | os.PathLike) -> ICIR:
    """Load i-CIR's labels from its folder; the result's labels fit ``basic.features.Features``."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder; point at the extracted icir/ folder "
                                "(basic.fetch.fetch_icir() returns it)")
    return ICIR(root, read_annotations(annotation_file(root, "query_files.csv")),
                read_annotations(annotation_file(root, "database_files.csv")))


def is_hard_negative(paths) -> pd.Series:
    """True for database paths under a ``/hn/`` folder (the reference's rule)."""
    return pd.Series([("/hn/" in str(p).replace("\\", "/")) for p in paths], dtype=bool)


def statistics(queries: pd.DataFrame, database: pd.DataFrame) -> dict[str, pd.Series]:
    """Per-instance / per-query counts behind the paper's Fig. 2.

    Returns Series: ``image_queries_per_instance`` (distinct query images), ``text_queries_per_instance``
    (distinct texts), ``hard_negatives_per_instance`` (database paths with ``/hn/``, counted under the
    instance whose database holds them: the folder after ``database/``, else the row's instance), and
    ``positives_per_query`` (one entry per query row, i.e. per composed query: database items sharing
    its instance and its text, the positive rule of ``basic.features.Features``).
    """
    q = queries.reset_index(drop=True)
    db = database.reset_index(drop=True)
    hard = is_hard_negative(db.path)
    owner = db.path.map(_database_owner).where(lambda s: s.notna(), db.instance)
    positives = db.groupby(["instance", "text"]).size()
    per_query = pd.Series([int(positives.get((i, t), 0)) for i, t in zip(q.instance, q.text)],
                          name="positives_per_query")
    return {
        "image_queries_per_instance": q.groupby("instance").path.nunique().rename("image_queries"),
        "text_queries_per_instance": q.groupby("instance").text.nunique().rename("text_queries"),
        "hard_negatives_per_instance": owner[hard.values].value_counts().rename("hard_negatives")
            .reindex(sorted(set(q.instance)), fill_value=0),
        "positives_per_query": per_query,
    }


def summary(stats: dict[str, pd.Series]) -> pd.DataFrame:
    """min / max / mean / total of each statistic, as the paper reports them."""
    return pd.DataFrame({name: {"min": s.min(), "max": s.max(), "mean": round(float(s.mean()), 2),
                                "total": s.sum(), "count": len(s)} for name, s in stats.items()}).T


def _database_owner(path: str):
    parts = str(path).replace("\\", "/").split("/")
    if "database" in parts:
        at = parts.index("database")
        if at + 2 < len(parts):
            return parts[at + 1]
    return None
