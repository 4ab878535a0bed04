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
from dataclasses import dataclass
from pathlib import Path

METHODS = ("image", "text", "sum", "product", "basic", "weicom", "weighted-sum", "weighted-product")


class ConfigError(ValueError):
    """A configuration that cannot be run; the message says which key and what is allowed."""


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

    def __post_init__(self):
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}; choose one of {METHODS}")
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
        return self.method == "basic"

    @property
    def letters(self) -> str:
        """The paper-style component string, e.g. 'CMHXPQ' for full BASIC ('' for none)."""
        if not self.is_basic:
            return ""
        flags = [self.center, self.min_normalize, self.harris_lambda > 0, self.contextualize,
                 self.project, self.query_expansion]
        return "".join(ch for ch, on in zip("CMHXPQ", flags) if on)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

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
        if data.get("method", "basic") != "basic" and data.get("method") in METHODS:
            # baselines ignore the BASIC switches; keep only what they use
            return cls(**{k: v for k, v in data.items() if k in ("method", "text_weight")})
        return cls(**data)

    @classmethod
    def from_json(cls, path: str | Path) -> "Config":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"config file {path} is not valid JSON: {e}") from None
        return cls.from_dict(data)


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

PRESETS: dict[str, Config] = {
    "image": Config(method="image"),
    "text": Config(method="text"),
    "sum": Config(method="sum"),
    "product": Config(method="product"),
    "weicom": Config(method="weicom"),
    "weighted-sum": Config(method="weighted-sum"),
    "weighted-product": Config(method="weighted-product"),
    "basic": Config(),
    "basic-paper": Config(text_scale="text_min"),
    "basic-dbmean": Config(center_images_with="database"),
}
for _row in ABLATION_ROWS:
    PRESETS.setdefault(f"ablation-{_row or 'none'}", components(_row))


def preset(name: str) -> Config:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}") from None
