"""Round trip through the reference implementation's pickle layout."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from basic import reference_io
from conftest import make_features


def test_round_trip(tmp_path):
    f = make_features()
    written = reference_io.write_reference(f, tmp_path, backbone="clip")
    assert written["query"] == tmp_path / "features/clip_features/icir/query_icir_features.pkl"
    g = reference_io.read_reference_root(tmp_path, backbone="clip")
    for name in ("query_image", "query_text", "query_text_context", "db_image", "corpus_pos", "corpus_neg",
                 "image_mean", "synthetic_image", "synthetic_text"):
        np.testing.assert_array_equal(getattr(f, name), getattr(g, name), err_msg=name)
    assert g.queries.equals(f.queries) and g.database.equals(f.database)
    with pytest.raises(FileExistsError):
        reference_io.write_reference(f, tmp_path)


def test_reads_the_reference_formats(tmp_path):
    torch = pytest.importorskip("torch")
    with open(tmp_path / "mean.pkl", "wb") as fh:
        pickle.dump({"laion_1m_mean": torch.arange(4, dtype=torch.float32).reshape(1, 4)}, fh)
    assert reference_io.read_laion_mean(tmp_path / "mean.pkl").tolist() == [0, 1, 2, 3]
    np.save(tmp_path / "sd.pkl.npy", {"image_features": torch.ones(3, 4), "text_features": np.zeros((3, 4))})
    si, st = reference_io.read_synthetic(tmp_path / "sd.pkl.npy")
    assert si.shape == st.shape == (3, 4) and si.dtype == np.float32
    with open(tmp_path / "c.pkl", "wb") as fh:
        pickle.dump({"feats": np.ones((2, 4), np.float16), "prompts": ["object_name", "cat"]}, fh)
    feats, prompts = reference_io.read_corpus(tmp_path / "c.pkl")
    assert feats.dtype == np.float32 and prompts.tolist() == ["object_name", "cat"]


def test_without_context_and_bad_files(tmp_path):
    f = make_features(with_assets=False)
    reference_io.write_reference(f, tmp_path)
    paths = reference_io.reference_paths(tmp_path)
    g = reference_io.read_reference(paths["query"], paths["database"])
    assert g.query_text_context is None and g.corpus_pos is None
    with pytest.raises(ValueError, match="no text_feats"):
        reference_io.read_reference(paths["database"], paths["database"])
    with open(tmp_path / "x.pkl", "wb") as fh:
        pickle.dump({"feats": 1}, fh)
    with pytest.raises(ValueError, match="lacks"):
        reference_io.read_corpus(tmp_path / "x.pkl")
