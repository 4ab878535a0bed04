"""The notebooks' outputs: every figure a notebook saves is shown inline (committed notebooks and runall's
executed copies), the committed notebooks stay small, and rerunning a notebook regenerates its committed
outputs exactly (the README's regeneration claim)."""
import importlib.util
import os
import re
import subprocess
import sys

import nbformat
import pytest

from basic.plots import FIGURE_KEY
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXECUTED = sorted((REPO / "out" / "tiny").glob("[0-9][0-9]_*.ipynb"))
SAVED = re.compile(r"save_figure\(\s*fig\s*,\s*[\"']([^\"']+)[\"']")
TIMING = {"11_speed"}             # measurements: their outputs change from run to run


def saved_figures(nb) -> list[str]:
    return sorted(name for c in nb.cells if c.cell_type == "code" for name in SAVED.findall(c.source))


def shown_figures(nb) -> list:
    return sorted((o.get("metadata", {}).get(FIGURE_KEY) or "<unnamed>") for c in nb.cells if c.cell_type == "code"
                  for o in c.outputs if "image/png" in o.get("data", {}))


def load_publisher():
    spec = importlib.util.spec_from_file_location("publish_notebooks", REPO / "scripts" / "publish_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_shows_every_figure_it_saves(path):
    nb = nbformat.read(path, as_version=4)
    saved, shown = saved_figures(nb), shown_figures(nb)
    assert shown == saved, (f"{path.name}: saves {saved} but shows {shown} inline; "
                            "run ./runall.sh to store the outputs")
    for name in saved:
        assert (REPO / "figures" / f"{name}.png").is_file(), f"figures/{name}.png (saved by {path.name}) is missing"


@pytest.mark.skipif(not EXECUTED, reason="no executed notebooks in out/tiny (run ./runall.sh first)")
@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.stem)
def test_executed_notebook_shows_every_figure_it_saves(path):
    nb = nbformat.read(path, as_version=4)
    assert shown_figures(nb) == saved_figures(nb)


def test_every_notebook_saves_a_figure_except_the_features_one():
    without = [p.stem for p in NOTEBOOKS if not saved_figures(nbformat.read(p, as_version=4))]
    assert without == ["02_feature_extraction"]


def test_committed_notebooks_are_small():
    total = sum(p.stat().st_size for p in NOTEBOOKS)
    assert total <= 8 * 2 ** 20, f"the committed notebooks weigh {total / 2 ** 20:.1f} MB (limit 8 MB)"


def test_clean_drops_what_changes_between_runs():
    publisher = load_publisher()
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": kernel, "papermill": {"duration": 1.0},
                   "language_info": {"name": "python", "version": "3.11.9"}}
    injected = nbformat.v4.new_code_cell("figures_dir = '/tmp/x'", metadata={"tags": ["injected-parameters"]})
    cell = nbformat.v4.new_code_cell("print(1)", metadata={"papermill": {"duration": 0.1}, "execution": {}})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells = [injected, cell]
    clean = publisher.clean(nb)
    assert len(clean.cells) == 1 and clean.cells[0].metadata == {}
    assert [(o.name, o.text) for o in clean.cells[0].outputs] == [("stdout", "1\n2\n")]   # chunks merged
    assert clean.metadata == {"kernelspec": kernel, "language_info": {"name": "python"}}


def test_rerunning_a_notebook_regenerates_its_committed_outputs(tmp_path):
    """The README's claim: ./runall.sh regenerates the committed notebooks (timing ones aside). Rerun one
    notebook (papermill, default data, figures into a temporary folder) and compare every output."""
    publisher = load_publisher()
    name = "00_overview_and_data"
    out = tmp_path / f"{name}.ipynb"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "papermill", str(REPO / "notebooks" / f"{name}.ipynb"), str(out),
                           "--cwd", str(REPO / "notebooks"), "-k", "python3", "--no-progress-bar",
                           "-p", "figures_dir", str(tmp_path / "figures")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    fresh = publisher.clean(nbformat.read(out, as_version=4))
    committed = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
    assert len(fresh.cells) == len(committed.cells)
    for new, old in zip(fresh.cells, committed.cells):
        if new.cell_type == "code":
            assert new.outputs == old.outputs, (
                f"notebooks/{name}.ipynb: cell {old.get('id')} gives other outputs than committed; "
                "regenerate with ./runall.sh")
    assert sorted(p.name for p in (tmp_path / "figures").glob("*.png")) == \
        sorted(f"{n}.png" for n in saved_figures(committed))
