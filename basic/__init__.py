"""BASIC: a training-free method for instance-level composed image retrieval (Psomas et al., NeurIPS 2025).

Companion package: every equation of the paper is one function in ``basic.equations``; the i-CIR
protocol is in ``basic.metrics``; ``basic.retrieval`` runs a configuration over a benchmark.
"""
__all__ = ["Features", "FeaturesError"]
__version__ = "0.1.0"


def __getattr__(name):
    # imported on first use, so that `python -m basic presets` (and start-up in general) skips numpy and pandas
    if name in __all__:
        from . import features
        return getattr(features, name)
    raise AttributeError(f"module 'basic' has no attribute {name!r}")
