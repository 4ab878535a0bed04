"""The i-CIR loader on a hand-built miniature copy."""
from __future__ import annotations

import numpy as np
import pytest

from basic.features import Features
from basic.icir import is_hard_negative, load_icir, read_annotations, statistics, summary

QUERIES = ["icir/query/temple/1.jpg,at night,temple", "icir/query/temple/2.jpg,at night,temple",
           "icir/query/temple/1.jpg,in snow,temple", "icir/query/mug/1.jpg,as a sketch,mug"]
DATABASE = ["icir/database/temple/a.jpg,at night,temple", "icir/database/temple/b.jpg,at night,temple",
            "icir/database/temple/c.jpg,in snow,temple", "icir/database/temple/hn/d.jpg,in snow,other",
            "icir/database/temple/hn/e.jpg,at night,other", "icir/database/mug/a.jpg,as a sketch,mug",
            "icir/database/mug/hn/b.jpg,as a sketch,cup"]


def write_icir(tmp_path, header=False):
    root = tmp_path / "icir"
    root.mkdir()
    head = ["image_path,text_query,instance_id"] if header else []
    (root / "query_files.csv").write_text("\n".join(head + QUERIES) + "\n")
    (root / "database_files.csv").write_text("\n".join(head + DATABASE) + "\n")
    return root


@pytest.mark.parametrize("header", [False, True])
def test_reads_with_and_without_header(tmp_path, header):
    data = load_icir(write_icir(tmp_path, header))
    assert list(data.queries.columns) == ["instance", "text", "path"]
    assert len(data.queries) == 4 and len(data.database) == 7
    assert data.queries.iloc[2].tolist() == ["temple", "in snow", "icir/query/temple/1.jpg"]


def test_labels_fit_features(tmp_path):
    data = load_icir(write_icir(tmp_path))
    z = lambda n: np.zeros((n, 4), np.float32)
    f = Features(query_image=z(4), query_text=z(4), db_image=z(7), queries=data.queries, database=data.database)
    assert f.queries.path.tolist() == data.queries.path.tolist()
    g = data.to_features(z(4), z(4), z(7), query_text_context=z(4))
    assert g.database.equals(f.database) and g.query_text_context.shape == (4, 4)


def test_paths_resolve_relative_to_the_parent_like_the_reference(tmp_path):
    root = write_icir(tmp_path)
    (root / "query" / "temple").mkdir(parents=True)
    (root / "query" / "temple" / "1.jpg").write_bytes(b"x")
    paths = load_icir(root).image_paths("queries")
    assert paths[0] == tmp_path / "icir" / "query" / "temple" / "1.jpg" and paths[0].exists()


def test_hard_negatives_and_fig2_statistics(tmp_path):
    data = load_icir(write_icir(tmp_path))
    assert is_hard_negative(data.database.path).tolist() == [False, False, False, True, True, False, True]
    stats = statistics(data.queries, data.database)
    assert stats["image_queries_per_instance"].to_dict() == {"mug": 1, "temple": 2}
    assert stats["text_queries_per_instance"].to_dict() == {"mug": 1, "temple": 2}
    assert stats["hard_negatives_per_instance"].to_dict() == {"mug": 1, "temple": 2}
    assert stats["positives_per_query"].tolist() == [2, 2, 1, 1]
    table = summary(stats)
    assert table.loc["positives_per_query", "max"] == 2 and table.loc["image_queries_per_instance", "total"] == 3


def test_bad_rows_are_reported_with_line_numbers(tmp_path):
    root = write_icir(tmp_path)
    (root / "query_files.csv").write_text("a.jpg,in red,x\nb.jpg,in red, with comma,x\n")
    with pytest.raises(ValueError, match=r"query_files.csv:2: expected 3"):
        load_icir(root)


def test_missing_folder_and_annotations(tmp_path):
    with pytest.raises(FileNotFoundError, match="fetch_icir"):
        load_icir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="query_files.csv"):
        load_icir(tmp_path / "empty")


def test_hugging_face_layout(tmp_path):
    root = tmp_path / "icir_hf"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "query_files.csv").write_text("\n".join(QUERIES))
    (root / "annotations" / "database_files.csv").write_text("\n".join(DATABASE))
    assert len(load_icir(root).database) == 7
