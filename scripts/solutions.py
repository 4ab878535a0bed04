#!/usr/bin/env python
"""The solutions appendix: run every "Try it" exercise of the notebooks and write the measured answers.

    python scripts/solutions.py --out figures/solutions.md          # ./runall.sh calls this (tiny profile)
    python scripts/solutions.py --profile icir --out figures/icir/solutions.md
    python scripts/solutions.py --list                              # the exercises, not run

An exercise is a ```python block in a notebook's "## Try it" markdown cell, under a bold title
"**N. What to do.**". It runs after the notebook's setup: the namespace holds the profile's ``features`` and
the imports every component notebook makes (``np``, ``pd``, ``eq``, ``notebook``, ``Config``, ``components``,
``evaluate``, ``sweep``), which is what a reader has when pasting it at the end of the notebook.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
#: What an exercise may use: the names every component notebook (04-08) defines before its "Try it".
NAMES = ("np", "pd", "eq", "notebook", "Config", "components", "evaluate", "sweep", "features", "profile")
TITLE = re.compile(r"^\*\*(\d+)\.\s+(.+?)\*\*\s*(.*)$")
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


@dataclass
class Exercise:
    notebook: str      # e.g. 04_centering_modality_gap
    number: int
    title: str
    task: str          # the rest of the title paragraph: what to change and what to look for
    code: str


def exercises(folder: Path = NOTEBOOKS) -> list[Exercise]:
    """Every exercise of every notebook source (jupytext percent .py), in notebook order."""
    import jupytext

    found = []
    for path in sorted(folder.glob("[0-9][0-9]_*.py")):
        nb = jupytext.read(path)
        for cell in nb.cells:
            if cell.cell_type != "markdown" or not cell.source.lstrip().startswith("## Try it"):
                continue
            lines = cell.source.splitlines()
            count = 0
            for i, line in enumerate(lines):
                m = TITLE.match(line)
                if not m:
                    continue
                task = [m.group(3).strip()]
                for ln in lines[i + 1:]:                 # the paragraph under the title: what to change, what to look for
                    if not ln.strip() or ln.startswith("```"):
                        break
                    task.append(ln.strip())
                block = BLOCK.search(cell.source, sum(len(ln) + 1 for ln in lines[:i]))
                if block is None:
                    raise SystemExit(f"{path.name}: exercise {m.group(1)} has no ```python block")
                found.append(Exercise(path.stem, int(m.group(1)), m.group(2).strip(), " ".join(t for t in task if t),
                                      block.group(1)))
                count += 1
            if not count:
                raise SystemExit(f"{path.name}: a 'Try it' cell without a '**N. title**' exercise")
    return found


def namespace(profile: str = "tiny", data_dir=None, backbone=None) -> dict:
    """What the component notebooks have defined when their last cell runs."""
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    import pandas as pd

    from basic import equations as eq
    from basic import notebook
    from basic.config import Config, components
    from basic.retrieval import evaluate, sweep

    features = notebook.setup(profile, data_dir, backbone, quiet=True)
    names = {"np": np, "pd": pd, "eq": eq, "notebook": notebook, "Config": Config, "components": components,
             "evaluate": evaluate, "sweep": sweep, "features": features, "profile": profile}
    assert tuple(names) == NAMES
    return names


def run(exercise: Exercise, names: dict) -> str:
    """Run one exercise in a copy of ``names``; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(exercise.code, f"<{exercise.notebook} exercise {exercise.number}>", "exec"), dict(names))
    return out.getvalue()


def write(path: Path, text: str) -> None:
    from basic.fileio import atomic_write
    atomic_write(path, lambda f: f.write(text.encode("utf-8")), binary=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="tiny", help="a registered dataset (python -m basic datasets)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--backbone", default=None)
    ap.add_argument("--out", type=Path, default=None, help="the Markdown appendix (default: print it)")
    ap.add_argument("--list", action="store_true", help="list the exercises without running them")
    args = ap.parse_args(argv)
    found = exercises()
    if args.list:
        for e in found:
            print(f"{e.notebook} · {e.number}. {e.title}")
        return 0
    names = namespace(args.profile, args.data_dir, args.backbone)
    parts = ["# Solutions to the notebooks' \"Try it\" exercises\n",
             f"Generated by `scripts/solutions.py` (called by `./runall.sh`) on the **{args.profile}** profile: each "
             "answer below is what the exercise's code printed in that run, so it changes when the data do.",
             f"{names['notebook'].dataset(args.profile).note}\n"]
    current = None
    for e in found:
        if e.notebook != current:
            current = e.notebook
            parts.append(f"## {e.notebook}\n")
        t0 = time.perf_counter()
        printed = run(e, names).rstrip()
        print(f"  {e.notebook} · exercise {e.number}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        parts += [f"### {e.number}. {e.title}\n", e.task + "\n" if e.task else "", "```python", e.code.rstrip(),
                  "```\n", "Measured answer:\n", "```text", printed or "(nothing printed)", "```\n"]
    text = "\n".join(parts) + "\n"
    if args.out:
        write(args.out, text)
        print(f"solutions: {len(found)} exercises -> {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
