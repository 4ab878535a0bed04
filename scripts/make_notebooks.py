#!/usr/bin/env python
"""Write notebooks/*.ipynb from their sources in scripts/notebook_sources/*.py (percent format).

    python scripts/make_notebooks.py            # write every notebook, outputs empty
    python scripts/make_notebooks.py --check    # also execute the notebooks that hold '# NBVAL_CHECK_OUTPUT'
                                                # cells and store those cells' outputs (nbval compares them)

Source format: cells start with '# %%' (code), '# %% [markdown]' (markdown, lines prefixed '# '), or
'# %% tags=["parameters"]' (the papermill parameters cell). Everything else stays output-free.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "scripts" / "notebook_sources"
NOTEBOOKS = REPO / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"
HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=\[(?P<tags>[^\]]*)\])?\s*$")


def parse(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    cells, kind, tags, lines = [], None, [], []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", ln) for ln in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cell.pop("id", None)
        cells.append(cell)

    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            flush()
            kind = "markdown" if m.group("md") else "code"
            tags = [t.strip().strip("\"'") for t in m.group("tags").split(",")] if m.group("tags") else []
            lines = []
        else:
            lines.append(line)
    flush()
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"
    return nb


def store_checked_outputs(path: Path) -> None:
    """Execute ``path`` (papermill, defaults) and keep only the outputs of the NBVAL_CHECK_OUTPUT cells."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        subprocess.run([sys.executable, "-m", "papermill", "--cwd", str(path.parent), str(path), str(out),
                        "-k", "python3", "--no-progress-bar"], check=True)
        executed = nbformat.read(out, as_version=4)
    nb = nbformat.read(path, as_version=4)
    by_id = {c.get("id"): c for c in executed.cells}
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK in cell.source:
            done = by_id[cell["id"]]
            cell.outputs = [o for o in done.outputs if o.get("output_type") != "display_data"]
            for o in cell.outputs:
                o.pop("execution_count", None)
            cell.execution_count = 1
    nbformat.write(nb, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="store the outputs of the checked cells")
    ap.add_argument("names", nargs="*", help="source names (default: all)")
    args = ap.parse_args(argv)
    NOTEBOOKS.mkdir(exist_ok=True)
    for src in sorted(SOURCES.glob("*.py")):
        if args.names and src.stem not in args.names:
            continue
        nb = parse(src.read_text())
        path = NOTEBOOKS / f"{src.stem}.ipynb"
        nbformat.validate(nb)
        nbformat.write(nb, path)
        if args.check and CHECK in src.read_text():
            store_checked_outputs(path)
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
