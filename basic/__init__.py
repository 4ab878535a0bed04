"""BASIC: a training-free method for instance-level composed image retrieval (Psomas et al., NeurIPS 2025).

Companion package: every equation of the paper is one function in ``basic.equations``; the i-CIR
protocol is in ``basic.metrics``; ``basic.retrieval`` runs a configuration over a benchmark.
"""
from .features import Features, FeaturesError

__all__ = ["Features", "FeaturesError"]
__version__ = "0.1.0"
