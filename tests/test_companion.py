"""The companion's own pieces: datasets as the notebooks see them, plot helpers, the notebooks' shape, runall.sh's contract."""
import ast
import json
import re
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from basic import notebook
from basic.datasets import DatasetError
from basic.plots import markdown_table, record, save_figure, save_table, write_summary
from conftest import REPO, make_features

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK = "# NBVAL_CHECK_OUTPUT"


def test_unknown_and_missing_datasets(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset 'imagenet'; registered: tiny, icir, golden"):
        notebook.setup("imagenet")
    with pytest.raises(DatasetError, match="basic.realpath"):
        notebook.setup("icir", data_dir=tmp_path / "nothing")


def test_icir_reads_a_features_folder(tmp_path, capsys):
    folder = make_features().save(tmp_path / "clip")
    features = notebook.setup("icir", data_dir=folder)
    assert len(features.queries) == 12 and "Real i-CIR" in capsys.readouterr().out
    data = notebook.labels("icir", data_dir=folder)
    assert data.root is None and len(data.database) == len(features.database)
    assert notebook.categories(features.queries.instance, "icir") is None


def test_tiny_categories_come_from_the_ids():
    cats = notebook.categories(["mug_kimo", "mug_zora", "car_bab"], "tiny")
    assert cats.to_dict() == {"car_bab": "car", "mug_kimo": "mug", "mug_zora": "mug"}


def test_save_figure_and_table_are_reproducible(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    first = [p.read_bytes() for p in save_figure(fig, "figX", tmp_path)]
    second = [p.read_bytes() for p in save_figure(fig, "figX", tmp_path)]
    plt.close(fig)
    assert first == second and {p.name for p in tmp_path.iterdir()} == {"figX.png", "figX.pdf"}
    save_table(pd.DataFrame({"method": ["a", "b"], "mmAP": [1.234, np.nan]}), "tab", tmp_path)
    assert (tmp_path / "tab.md").read_text().splitlines()[2] == "| a | 1.23 |"
    assert list(pd.read_csv(tmp_path / "tab.csv").columns) == ["method", "mmAP"]
    assert not list(tmp_path.glob(".*"))   # no temporary files left


def test_record_and_summary(tmp_path):
    record("02_x", [{"quantity": "BASIC mmAP", "ours": 12.5, "paper": 31.64}], tmp_path, "tiny")
    record("03_y", [{"quantity": "gap", "ours": 0.3}], tmp_path, "tiny")
    frame = write_summary(tmp_path)
    assert list(frame.notebook) == ["02_x", "03_y"] and np.isnan(frame.paper.iloc[1])
    md = (tmp_path / "summary.md").read_text()
    assert "tiny world" in md and "| 02_x | tiny | BASIC mmAP | 12.5 | 31.64 |" in md
    assert (tmp_path / "summary.csv").is_file()


def test_markdown_table_keeps_named_index():
    text = markdown_table(pd.DataFrame({"v": [1.0]}, index=pd.Index(["x"], name="k")))
    assert text.splitlines()[0] == "| k | v |"


# ----------------------------------------------------------------------------- the notebooks
def test_notebooks_exist_numbered():
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) >= 10 and [n[:2] for n in names] == [f"{i:02d}" for i in range(len(names))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one papermill 'parameters' cell"
    values = {}
    exec(params[0].source, values)   # constants only
    assert values["profile"] == "tiny" and values["data_dir"] is None and values["backbone"] is None
    assert values["figures_dir"] is None, "notebooks write to the scratch folder unless runall.sh passes figures/"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {path.stem[:2]} ")
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    for cell in code:
        tree = ast.parse("\n".join(l for l in cell.source.splitlines() if not l.startswith(("%", "!"))))
        defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert set(defined) <= {"best_time"}, f"{path.name} defines {defined}: algorithms belong in basic/"
        assert "../figures" not in cell.source, f"{path.name}: only runall.sh chooses the published figures/"


def test_checked_cells_have_stored_outputs():
    checked = [(p, c) for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells
               if c.cell_type == "code" and CHECK in c.source]
    assert 1 <= len(checked) <= 3
    for path, cell in checked:
        assert cell.outputs, f"{path.name}: a {CHECK} cell needs its expected output stored (./runall.sh writes it)"


def test_notebooks_match_their_jupytext_sources():
    """Each notebooks/NN.ipynb is paired with notebooks/NN.py (jupytext percent format) and has its cells."""
    import jupytext
    config = (REPO / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config
    sources = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
    assert [s.stem for s in sources] == [p.stem for p in NOTEBOOKS]
    for src in sources:
        want = [(c.cell_type, c.source) for c in jupytext.read(src).cells]
        have = [(c.cell_type, c.source) for c in nbformat.read(REPO / "notebooks" / f"{src.stem}.ipynb", 4).cells]
        assert want == have, (f"notebooks/{src.stem}.ipynb differs from its source {src.name}: "
                              "run `jupytext --sync notebooks/*.py`")


def test_readme_lists_every_notebook():
    readme = (REPO / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"`{path.stem}`" in readme, f"README.md's notebook table misses {path.stem}"


def test_runall_names_the_failing_notebook(tmp_path):
    """A profile whose data is missing fails in the first notebook, and runall says which."""
    import sys
    done = subprocess.run(["bash", str(REPO / "runall.sh"), "icir", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "BASIC_PYTHON": sys.executable, "HOME": str(tmp_path),
                               "BASIC_ICIR_FEATURES": str(tmp_path / "no-features"),
                               "BASIC_FIGURES_DIR": str(tmp_path / "figures")})
    assert done.returncode == 1
    assert "00_overview_and_data.ipynb FAILED" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "out" / "01_feature_extraction.ipynb").exists()
    assert not (REPO / "figures" / "icir").exists()
