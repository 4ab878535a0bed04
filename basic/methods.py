"""One table of retrieval methods: each name maps to how its similarities are made and how they are fused.

A method has two stages (``basic.retrieval``): stage 1 gives the image-side score s_v and the text-side
score s_t of every query against the database (raw cosines for the baselines; BASIC's C, X, P, Q, M and the
clamp when ``basic=True``); stage 2, the method's ``fuse``, turns them into one score. ``Config.method``,
the presets (``basic.config.PRESETS``), ``python -m basic presets`` and the tables' labels all read this
table, so a new fusion is one function and one registration, from any file::

    import numpy as np
    from basic.methods import register_method

    def geometric_mean(s_t, s_v, config):
        return np.sqrt(np.maximum(s_t, 0) * np.maximum(s_v, 0))

    register_method("geo-mean", geometric_mean, label="√(Text × Image)")
    # evaluate(features, Config(method="geo-mean")), or --config {"method": "geo-mean"} on the command line

A fusion with its own parameter declares it with a default (``params={"p": 2.0}``) and reads it with
``config.option("p")``; a Config sets it with ``Config(method=..., options={"p": 3.0})``.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping


from . import equations as eq
from .fusion import weicom, weighted_product, weighted_sum

SIDES = ("image", "text")


class MethodError(ValueError):
    """An unknown method or a bad registration; the message lists what is known."""


@dataclass(frozen=True)
class Method:
    """A retrieval method: which similarities it needs (stage 1) and how it fuses them (stage 2).

    ``fuse(s_t, s_v, config)`` gets the (Q, N) text-side and image-side scores (None for a side the method
    does not need) and returns the (Q, N) fused score. ``basic``: stage 1 is BASIC's (C, M, X, P, Q and the
    clamp, as the config switches them); otherwise raw cosines. ``uses``: the Config keys it reads (shown
    by ``python -m basic presets``). ``params``: its own parameters and their defaults (``config.option``)."""
    name: str
    fuse: Callable
    sides: tuple[str, ...] = SIDES
    basic: bool = False
    uses: tuple[str, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    label: str = ""
    description: str = ""

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", self.name)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


METHODS: dict[str, Method] = {}


def register_method(name: str, fuse: Callable, *, sides=SIDES, basic: bool = False, uses=(), params=None,
                    label: str = "", description: str = "", replace: bool = False) -> Method:
    """Add a method to the table (``replace=True`` to redefine one); returns its entry."""
    if not isinstance(name, str) or not name or not name.replace("-", "").replace("_", "").isalnum():
        raise MethodError(f"a method name is a short word (letters, digits, - and _), got {name!r}")
    if name in METHODS and not replace:
        raise MethodError(f"method {name!r} is already registered; pass replace=True to redefine it")
    if not callable(fuse):
        raise MethodError(f"method {name!r}: fuse must be a function fuse(s_t, s_v, config), got {fuse!r}")
    sides = tuple(sides)
    if not sides or set(sides) - set(SIDES):
        raise MethodError(f"method {name!r}: sides must be a non-empty subset of {SIDES}, got {sides}")
    params = dict(params or {})
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise MethodError(f"method {name!r}: parameter {key!r} needs a finite number as default, got {value!r}")
    METHODS[name] = Method(name, fuse, sides, basic, tuple(uses), params, label, description)
    return METHODS[name]


def get_method(name: str) -> Method:
    if isinstance(name, str) and name not in METHODS:
        from .plugins import load_plugins
        load_plugins()                         # modules named in $BASIC_PLUGINS may register it
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise MethodError(f"unknown method {name!r}; known methods: {', '.join(METHODS)} "
                          "(a new one: basic.methods.register_method)") from None


def method_names() -> tuple[str, ...]:
    return tuple(METHODS)


# ----------------------------------------------------------------------------- the built-in methods
def image_only(s_t, s_v, config):
    """Image: s = s_v (the query image alone)."""
    return s_v


def text_only(s_t, s_v, config):
    """Text: s = s_t (the query text alone)."""
    return s_t


def plain_sum(s_t, s_v, config):
    """Text + Image: s = s_v + s_t."""
    return s_v + s_t


def plain_product(s_t, s_v, config):
    """Text × Image: s = max(s_v, 0) · max(s_t, 0)."""
    return eq.rectify(s_v) * eq.rectify(s_t)


def harris(s_t, s_v, config):
    """BASIC's fusion H (Eq. 9): s_t s_v − λ (s_t + s_v)²; λ = 0 is the plain product of the clamped scores."""
    return eq.harris_fusion(s_t, s_v, config.harris_lambda)


def _weighted(function):
    def fuse(s_t, s_v, config):
        return function(s_t, s_v, config.text_weight)
    fuse.__doc__ = function.__doc__
    fuse.__name__ = function.__name__
    return fuse


register_method("image", image_only, sides=("image",), label="Image")
register_method("text", text_only, sides=("text",), label="Text")
register_method("sum", plain_sum, label="Text + Image")
register_method("product", plain_product, label="Text × Image")
register_method("basic", harris, basic=True, label="BASIC",
                uses=("center", "center_images_with", "min_normalize", "harris_lambda", "contextualize", "project",
                      "alpha", "components", "query_expansion", "expansion_k", "expansion_beta", "text_scale"))
register_method("weicom", _weighted(weicom), uses=("text_weight",), label="WeiCom")
register_method("weighted-sum", _weighted(weighted_sum), uses=("text_weight",), label="weighted Text + Image")
register_method("weighted-product", _weighted(weighted_product), uses=("text_weight",),
                label="weighted Text × Image")

