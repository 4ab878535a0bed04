"""Every component notebook (04-08) ends with a "Try it", and every exercise's code runs (tiny profile)."""
import importlib.util
import sys

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location("solutions", REPO / "scripts" / "solutions.py")
solutions = importlib.util.module_from_spec(spec)
sys.modules.setdefault("solutions", solutions)       # dataclasses need their module registered
spec.loader.exec_module(solutions)

EXERCISES = solutions.exercises()
COMPONENT_NOTEBOOKS = ["04_centering_modality_gap", "05_min_normalisation_and_harris", "06_contextualisation",
                       "07_contrastive_projection", "08_query_expansion"]


def test_every_component_notebook_has_a_try_it():
    have = {e.notebook for e in EXERCISES}
    assert set(COMPONENT_NOTEBOOKS) <= have
    for e in EXERCISES:
        assert e.title and e.code.strip() and "Look for" in e.task, f"{e.notebook} exercise {e.number}: " \
            "a title, what to change and what to look for, and code"


def test_try_it_is_the_last_cell():
    import jupytext
    for name in COMPONENT_NOTEBOOKS:
        cells = jupytext.read(REPO / "notebooks" / f"{name}.py").cells
        assert cells[-1].cell_type == "markdown" and cells[-1].source.startswith("## Try it"), name


@pytest.fixture(scope="module")
def names():
    return solutions.namespace("tiny")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: f"{e.notebook[:2]}-{e.number}")
def test_exercise_runs_and_prints_an_answer(exercise, names):
    printed = solutions.run(exercise, names)
    assert printed.strip(), "an exercise prints its answer"
    assert "tiny profile only" not in printed


@pytest.mark.parametrize("name", COMPONENT_NOTEBOOKS)
def test_exercise_names_exist_in_the_notebook(name):
    """The exercises run in solutions.namespace(): a reader pasting one at the end of the notebook has those names."""
    import ast

    import jupytext
    code = "\n".join(c.source for c in jupytext.read(REPO / "notebooks" / f"{name}.py").cells if c.cell_type == "code")
    bound = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    wanted = set(solutions.NAMES)
    assert wanted <= bound, f"{name} lacks {sorted(wanted - bound)}"
