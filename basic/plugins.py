"""Modules of your own that register methods, datasets or backbones, named once in ``$BASIC_PLUGINS``.

    export BASIC_PLUGINS=my_fusions,my_datasets      # comma-separated module names, importable (PYTHONPATH)
    python -m basic evaluate FOLDER --config '{"method": "geo-mean"}'     # a method my_fusions registers
    ./runall.sh mine                                                     # a dataset my_datasets registers

The registries (``basic.methods``, ``basic.datasets``, ``basic.backbones``) import them the first time a name
is not found, so the command line, ``./runall.sh`` and the notebooks see the same names as your own code.
"""
from __future__ import annotations

import importlib
import os

ENV = "BASIC_PLUGINS"
_loaded: set[str] = set()


class PluginError(ImportError):
    """A module named in $BASIC_PLUGINS cannot be imported."""


def load_plugins() -> list[str]:
    """Import every module named in $BASIC_PLUGINS not imported yet; returns the names imported now."""
    done = []
    for module in (m.strip() for m in os.environ.get(ENV, "").split(",")):
        if not module or module in _loaded:
            continue
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise PluginError(f"${ENV} names {module!r}, which cannot be imported ({error}); put its folder on "
                              "PYTHONPATH or fix the name") from None
        _loaded.add(module)
        done.append(module)
    return done
