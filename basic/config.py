"""One configuration object for every method, and the named presets.

``Config`` carries the same keys as the golden cases' ``config`` (see tests/golden/README.md), so a
golden ``expected/*.json`` can be read as is. Every BASIC component switches on and off independently:

    C  center            centering (image side by an image mean, text side by the object-corpus mean)
    M  min_normalize     min-normalisation of both similarities on a synthetic set
    H  harris_lambda     Harris fusion; lambda = 0 leaves the plain product
    X  contextualize     use the contextualised text feature
    P  project           contrastive projection of the query image
    Q  query_expansion   query expansion with the top database items
"""
from __future__ import annotations

import dataclasses
import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .methods import METHODS, MethodError, get_method, method_names  # noqa: F401  (METHODS: the table)


class ConfigError(MethodError):
    """A configuration that cannot be run; the message says which key and what is allowed."""


# The type each key must have. JSON's true/false are booleans, never numbers, and a number is never a
# boolean or a string: "false" would otherwise switch a component ON, and true would count as 1.
_BOOL_KEYS = ("center", "min_normalize", "contextualize", "project", "query_expansion")
_STR_KEYS = ("method", "center_images_with", "text_scale")
_REAL_KEYS = ("harris_lambda", "alpha", "expansion_beta", "text_weight")
_INT_KEYS = ("components", "expansion_k")
_LARGEST_INT = 2 ** 31 - 1


def _check_types(config) -> None:
    """Raise ConfigError naming the first key whose value has the wrong type or is not finite."""
    for key in _BOOL_KEYS:
        value = getattr(config, key)
        if not isinstance(value, (bool, np.bool_)):                           # numpy's bool passes too
            raise ConfigError(f"config key {key!r} must be true or false, got {value!r} "
                              f"({type(value).__name__}); write {key}: true or {key}: false without quotes")
        object.__setattr__(config, key, bool(value))
    for key in _STR_KEYS:
        value = getattr(config, key)
        if not isinstance(value, str):
            raise ConfigError(f"config key {key!r} must be a string, got {value!r} ({type(value).__name__})")
    for key in _REAL_KEYS + _INT_KEYS:
        value = getattr(config, key)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"config key {key!r} must be a number, got {value!r} ({type(value).__name__}); "
                              "write it without quotes, and not as true/false")
        if not math.isfinite(float(value)):
            raise ConfigError(f"config key {key!r} must be a finite number, got {value!r}")
        if key in _INT_KEYS:
            if float(value) != int(value) or not 1 <= int(value) <= _LARGEST_INT:
                raise ConfigError(f"config key {key!r} must be a whole number between 1 and {_LARGEST_INT}, "
                                  f"got {value!r}")


@dataclass(frozen=True)
class Config:
    method: str = "basic"
    center: bool = True
    center_images_with: str = "image_mean"   # or "database": the mean of the instance's database
    min_normalize: bool = True
    harris_lambda: float = 0.1
    contextualize: bool = True
    project: bool = True
    alpha: float = 0.2
    components: int = 250
    query_expansion: bool = True
    expansion_k: int = 25
    expansion_beta: float = 0.1
    # The reference divides the text score by |s_v,min| (the IMAGE minimum); the paper writes |s_t,min|.
    text_scale: str = "image_min"             # or "text_min" (the paper's variant)
    # Text weight w of the weighted fusions (weicom, weighted-sum, weighted-product); 0 = image only, 1 = text only
    text_weight: float = 0.5
    # A registered method's own parameters ({name: number}; basic.methods); stored as sorted (name, value) pairs
    options: tuple = ()

    def __post_init__(self):
        _check_types(self)
        try:
            get_method(self.method)                # the table, and modules named in $BASIC_PLUGINS
        except MethodError as error:
            raise ConfigError(str(error)) from None
        object.__setattr__(self, "options", _checked_options(self.method, self.options))
        if self.center_images_with not in ("image_mean", "database"):
            raise ConfigError(f"center_images_with must be 'image_mean' or 'database', got {self.center_images_with!r}")
        if self.text_scale not in ("image_min", "text_min"):
            raise ConfigError(f"text_scale must be 'image_min' (reference) or 'text_min' (paper), got {self.text_scale!r}")
        if not self.harris_lambda >= 0:
            raise ConfigError(f"harris_lambda must be >= 0 (the Harris penalty subtracts lambda*(s_t+s_v)^2), got {self.harris_lambda}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"alpha weighs the negative corpus and must lie in [0, 1], got {self.alpha}")
        if not 0.0 <= self.text_weight <= 1.0:
            raise ConfigError(f"text_weight must lie in [0, 1], got {self.text_weight}")
        if int(self.components) != self.components or self.components < 1:
            raise ConfigError(f"components must be a positive integer, got {self.components}")
        object.__setattr__(self, "components", int(self.components))
        if int(self.expansion_k) != self.expansion_k or self.expansion_k < 1:
            raise ConfigError(f"expansion_k must be a positive integer, got {self.expansion_k}")
        object.__setattr__(self, "expansion_k", int(self.expansion_k))

    # ---------------------------------------------------------------- views
    @property
    def is_basic(self) -> bool:
        """Stage 1 is BASIC's (C, M, X, P, Q as switched), not raw cosines: the method table says."""
        return get_method(self.method).basic

    def option(self, name: str) -> float:
        """The method's own parameter ``name``: this config's value, else the registered default."""
        params = get_method(self.method).params
        if name not in params:
            raise ConfigError(f"method {self.method!r} has no parameter {name!r}; it has: {sorted(params) or 'none'}")
        return dict(self.options).get(name, params[name])

    @property
    def letters(self) -> str:
        """The paper-style component string, e.g. 'CMHXPQ' for full BASIC ('' for none)."""
        if not self.is_basic:
            return ""
        flags = [self.center, self.min_normalize, self.harris_lambda > 0, self.contextualize,
                 self.project, self.query_expansion]
        return "".join(ch for ch, on in zip("CMHXPQ", flags) if on)

    def to_dict(self) -> dict:
        """The keys as JSON takes them (``options`` only when set, so golden-style dicts stay as they were)."""
        out = dataclasses.asdict(self)
        out["options"] = dict(self.options)
        if not out["options"]:
            del out["options"]
        return out

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------------- building
    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Build from golden-style keys; an object whose "config" key holds them works too."""
        if not isinstance(data, dict):
            raise ConfigError(f"a config must be a JSON object, got {type(data).__name__}")
        if "config" in data and isinstance(data["config"], dict):
            data = data["config"]
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**data)                 # the same object as the constructor; a method ignores keys it does not use

    @classmethod
    def from_json(cls, path: str | Path) -> "Config":
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"config file {path} is a folder; give a JSON file (e.g. a golden expected/*.json)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"config file {path} is not valid JSON: {e}") from None
        except OSError as e:
            raise ConfigError(f"config file {path} cannot be read: {e.strerror or e}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None
        except TypeError as e:
            raise ConfigError(f"{path}: {e}") from None


def _checked_options(method: str, options) -> tuple:
    """Options as sorted (name, float) pairs; each must be a parameter the method declares, with a finite number."""
    if isinstance(options, dict):
        items = list(options.items())
    else:
        try:
            items = [tuple(pair) for pair in options]
        except TypeError:
            items = None
        if items is None or any(len(pair) != 2 for pair in items):
            raise ConfigError(f"config key 'options' must be an object {{name: number}}, got {options!r}")
    params = get_method(method).params
    out = {}
    for key, value in items:
        if key not in params:
            raise ConfigError(f"method {method!r} has no parameter {key!r}; its parameters: "
                              f"{sorted(params) or 'none'}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise ConfigError(f"option {key!r} of method {method!r} must be a finite number, got {value!r}")
        out[key] = float(value)
    return tuple(sorted(out.items()))


def components(letters: str, **overrides) -> Config:
    """BASIC with exactly the components named by ``letters`` (any of 'CMHXPQ') switched on."""
    bad = set(letters) - set("CMHXPQ")
    if bad:
        raise ConfigError(f"unknown component letter(s) {sorted(bad)}; use C, M, H, X, P, Q")
    base = dict(center="C" in letters, min_normalize="M" in letters,
                harris_lambda=0.1 if "H" in letters else 0.0, contextualize="X" in letters,
                project="P" in letters, query_expansion="Q" in letters)
    base.update(overrides)
    return Config(method="basic", **base)


#: The ablation of the paper's Table 2, one row per set of components (``""`` is the plain product).
ABLATION_ROWS = ("", "C", "CM", "CMH", "CMHX", "CMHXP", "CMHXQ", "CMHPQ", "CMXPQ", "CXPQ", "MHPQ", "CMHXPQ")

#: One preset per method of the table (``basic.methods``), then BASIC's variants and the ablation rows.
PRESETS: dict[str, Config] = {name: Config(method=name) for name in method_names()}
PRESETS.update({
    "basic-paper": Config(text_scale="text_min"),
    "basic-dbmean": Config(center_images_with="database"),
})
for _row in ABLATION_ROWS:
    PRESETS.setdefault(f"ablation-{_row or 'none'}", components(_row))


def preset(name: str) -> Config:
    """A named preset; a method registered after import is its own preset too."""
    if name in PRESETS:
        return PRESETS[name]
    if name in METHODS:
        return Config(method=name)
    raise ConfigError(f"unknown preset {name!r}; available: {', '.join(all_presets())}")


def all_presets() -> dict[str, Config]:
    """The presets, with one for each method registered since import."""
    return {**PRESETS, **{m: Config(method=m) for m in METHODS if m not in PRESETS}}
