"""Read and write the reference implementation's feature pickles (GitHub billpsomas/icir).

The reference keeps, for one backbone B::

    features/B_features/icir/query_icir_features.pkl     dict image_feats (Q,d) raw, paths, instances,
                                                         texts, text_feats (Q,d) raw,
                                                         [context_text_feats (Q,d): mean of unit embeddings]
    features/B_features/icir/database_icir_features.pkl  dict image_feats (N,d), paths, instances, texts,
                                                         text_feats None
    features/B_features/corpus/generic_subjects.pkl      dict feats (P,d) raw, prompts (header row included)
    features/B_features/corpus/generic_styles.pkl        same, the negative corpus
    data/laion_mean/laion_1m_mean_B.pkl                  dict 'laion_1m_mean': torch tensor (1,d)
    synthetic_data/dataset_1_sd_B.pkl.npy                np.save of a dict image_features, text_features

``read_reference`` turns such files into a :class:`basic.features.Features`; ``write_reference``
writes a Features back in that layout. Pickles are read with ``basic.safe_pickle``, which loads numpy
arrays, plain containers and torch tensors only and refuses anything that would run code.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from . import safe_pickle
from .features import Features
from .fileio import atomic_write


def _array(value, path=None, key: str | None = None) -> np.ndarray:
    """numpy float32 from a numpy array or a torch tensor (on any device); errors name the file and key."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().float().numpy()
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        where = f"{path}: '{key}'" if path is not None else "a value"
        raise ValueError(f"{where} should hold numbers (an array of features), got {type(value).__name__}: "
                         f"{error}") from None


def _load_pickle(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found" + (" (it is a folder)" if path.is_dir() else ""))
    data = safe_pickle.load(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path} holds a {type(data).__name__}, expected the reference's dict")
    return data


def _need(data: dict, keys, path) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{path} lacks {missing}; it holds {sorted(data)}. Is it a reference feature pickle?")


def read_split(path) -> tuple[dict[str, np.ndarray | None], pd.DataFrame]:
    """One of query_icir_features.pkl / database_icir_features.pkl: arrays and its labels."""
    data = _load_pickle(path)
    _need(data, ("image_feats", "paths", "instances", "texts"), path)
    try:
        columns = {"instance": list(map(str, data["instances"])), "text": list(map(str, data["texts"])),
                   "path": list(map(str, data["paths"]))}
    except TypeError as error:
        raise ValueError(f"{path}: instances, texts and paths must be lists of strings: {error}") from None
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{path}: instances, texts and paths have different lengths {lengths}; "
                         "each must list one entry per feature row")
    labels = pd.DataFrame(columns)
    arrays = {"image": _array(data["image_feats"], path, "image_feats"),
              "text": None if data.get("text_feats") is None else _array(data["text_feats"], path, "text_feats"),
              "context": (None if data.get("context_text_feats") is None
                          else _array(data["context_text_feats"], path, "context_text_feats"))}
    for name, value in arrays.items():
        if value is not None and (value.ndim != 2 or len(value) != len(labels)):
            raise ValueError(f"{path}: {name} features have shape {value.shape} but the file lists "
                             f"{len(labels)} paths; expected ({len(labels)}, d)")
    return arrays, labels


def read_corpus(path) -> tuple[np.ndarray, np.ndarray]:
    """A corpus pickle: (feats (P,d) float32, prompts (P,) str)."""
    data = _load_pickle(path)
    _need(data, ("feats", "prompts"), path)
    return _array(data["feats"], path, "feats"), np.asarray(list(map(str, data["prompts"])))


def read_laion_mean(path) -> np.ndarray:
    """laion_1m_mean_*.pkl: the (d,) mean image embedding (stored as a (1,d) torch tensor)."""
    data = _load_pickle(path)
    _need(data, ("laion_1m_mean",), path)
    return _array(data["laion_1m_mean"], path, "laion_1m_mean").reshape(-1)


def read_synthetic(path) -> tuple[np.ndarray, np.ndarray]:
    """dataset_1_sd_*.pkl.npy: (image_features, text_features) used for min-normalisation."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    data = safe_pickle.load_npy(path)
    data = data.item() if data.dtype == object and data.shape == () else data
    if not isinstance(data, dict):
        raise ValueError(f"{path} should hold a dict with image_features and text_features")
    _need(data, ("image_features", "text_features"), path)
    return _array(data["image_features"], path, "image_features"), _array(data["text_features"], path, "text_features")


def reference_paths(root, backbone: str = "clip", dataset: str = "icir") -> dict[str, Path]:
    """Where the reference keeps each file, below its repository root ``root``."""
    root = Path(root)
    feats = root / "features" / f"{backbone}_features"
    return {"query": feats / dataset / f"query_{dataset}_features.pkl",
            "database": feats / dataset / f"database_{dataset}_features.pkl",
            "corpus_pos": feats / "corpus" / "generic_subjects.pkl",
            "corpus_neg": feats / "corpus" / "generic_styles.pkl",
            "image_mean": root / "data" / "laion_mean" / asset_name(backbone, "image_mean"),
            "synthetic": root / "synthetic_data" / asset_name(backbone, "synthetic")}


def asset_name(backbone: str, kind: str) -> str:
    """The reference's file name of a backbone's image mean or synthetic set: the registry's (basic.backbones),
    else the reference's naming pattern."""
    from .backbones import find_backbone
    entry = find_backbone(backbone)
    if entry is not None and getattr(entry, kind):
        return getattr(entry, kind)
    return {"image_mean": f"laion_1m_mean_{backbone}.pkl", "synthetic": f"dataset_1_sd_{backbone}.pkl.npy"}[kind]


def read_reference(query, database, corpus_pos=None, corpus_neg=None, image_mean=None, synthetic=None,
                   meta: dict | None = None) -> Features:
    """Build a Features from the reference's files (any optional one may be None).

    ``query_text`` gets text_feats; ``query_text_context`` gets context_text_feats when present.
    """
    q, q_labels = read_split(query)
    db, db_labels = read_split(database)
    if q["text"] is None:
        raise ValueError(f"{query} has no text_feats: is it the query pickle (not the database one)?")
    kw = {}
    if corpus_pos is not None:
        kw["corpus_pos"], kw["corpus_pos_prompts"] = read_corpus(corpus_pos)
    if corpus_neg is not None:
        kw["corpus_neg"], kw["corpus_neg_prompts"] = read_corpus(corpus_neg)
    if image_mean is not None:
        kw["image_mean"] = read_laion_mean(image_mean)
    if synthetic is not None:
        kw["synthetic_image"], kw["synthetic_text"] = read_synthetic(synthetic)
    return Features(query_image=q["image"], query_text=q["text"], query_text_context=q["context"],
                    db_image=db["image"], queries=q_labels, database=db_labels,
                    meta=dict(meta or {}, source="reference pickles"), **kw)


def read_reference_root(root, backbone: str = "clip", dataset: str = "icir") -> Features:
    """read_reference on the reference repository's layout; optional files are used when present."""
    paths = reference_paths(root, backbone, dataset)
    optional = {k: (p if p.is_file() else None) for k, p in paths.items() if k not in ("query", "database")}
    return read_reference(paths["query"], paths["database"], meta={"backbone": backbone}, **optional)


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: pickle.dump(obj, f, protocol=4), binary=True)


def write_reference(features: Features, root, backbone: str = "clip", dataset: str = "icir",
                    overwrite: bool = False) -> dict[str, Path]:
    """Write ``features`` in the reference's layout below ``root``; returns what was written.

    The LAION mean is stored as a (1,d) torch tensor, as the reference expects. Existing files are
    kept unless ``overwrite``.
    """
    paths = reference_paths(root, backbone, dataset)
    present = {"corpus_pos": features.corpus_pos is not None, "corpus_neg": features.corpus_neg is not None,
               "image_mean": features.image_mean is not None, "synthetic": features.synthetic_image is not None}
    todo = {k: p for k, p in paths.items() if present.get(k, True)}
    clash = [str(p) for p in todo.values() if p.exists()]
    if clash and not overwrite:
        raise FileExistsError(f"{clash} exist; pass overwrite=True to replace them")
    q, db = features.queries, features.database
    query = {"image_feats": features.query_image, "paths": list(q.path), "instances": list(q.instance),
             "texts": list(q.text), "text_feats": features.query_text}
    if features.query_text_context is not None:
        query["context_text_feats"] = features.query_text_context
    _dump(todo["query"], query)
    _dump(todo["database"], {"image_feats": features.db_image, "paths": list(db.path),
                             "instances": list(db.instance), "texts": list(db.text), "text_feats": None})
    for which in ("pos", "neg"):
        key = f"corpus_{which}"
        if key in todo:
            prompts = getattr(features, f"{key}_prompts")
            prompts = [str(p) for p in prompts] if prompts is not None else [f"{which}{i}" for i in range(len(getattr(features, key)))]
            _dump(todo[key], {"feats": getattr(features, key), "prompts": prompts})
    if "image_mean" in todo:
        import torch
        _dump(todo["image_mean"], {"laion_1m_mean": torch.from_numpy(features.image_mean.reshape(1, -1).copy())})
    if "synthetic" in todo:
        todo["synthetic"].parent.mkdir(parents=True, exist_ok=True)
        blob = {"image_features": features.synthetic_image, "text_features": features.synthetic_text}
        atomic_write(todo["synthetic"], lambda f: np.save(f, blob, allow_pickle=True), binary=True)
    return todo
