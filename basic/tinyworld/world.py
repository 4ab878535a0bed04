"""The tiny world: categories, named instances, conditions and their vocabulary.

Everything is a pure function of a seed. An *instance* is one named object ("kimo the mug") whose
identity lives in fine details. Version 2: each category has 8 instances in two look-alike groups of 4;
the members of a group share body colour, accent colour, surface pattern and emblem colour, and differ
only in a small emblem's shape and slightly in proportions, like the near-duplicates that make i-CIR
hard. Six instances per category are in the benchmark; the other two (``held_out``) appear only in
pretraining and as distractors.

A *condition* is a strong global change of the kinds i-CIR's text queries ask for: domain/style,
context/environment, attribute (colour, material), viewpoint, addition of another object.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

WORLD_SEED = 2025

CATEGORIES = (
    "mug", "car", "house", "fish", "bird", "tree", "lamp", "chair",
    "boat", "bottle", "robot", "clock", "kite", "umbrella", "rocket", "shield",
)
INSTANCES_PER_CATEGORY = 8  # two look-alike groups of four per category
LOOKALIKE_GROUP = 4
BENCHMARK_PER_CATEGORY = 6  # members 0-2 of each group are in the benchmark, member 3 is held out

COLOURS = {  # name -> RGB
    "red": (210, 40, 40), "orange": (240, 140, 30), "yellow": (240, 210, 40), "green": (50, 160, 60),
    "teal": (30, 150, 150), "blue": (40, 80, 200), "purple": (130, 60, 170), "pink": (235, 120, 170),
    "brown": (130, 80, 40), "black": (35, 35, 35), "white": (245, 245, 245), "grey": (140, 140, 140),
}
PATTERNS = ("plain", "hstripes", "vstripes", "diagonal", "dots", "checker", "zigzag")
EMBLEMS = ("star", "circle", "triangle", "cross", "diamond", "square", "moon", "heart", "bolt")


@dataclass(frozen=True)
class Instance:
    id: str            # e.g. "mug_kimo"
    name: str          # e.g. "kimo"
    category: str
    body: str          # colour names (keys of COLOURS)
    accent: str
    pattern: str
    emblem: str
    emblem_colour: str
    aspect: float      # width / height stretch of the body
    twin: str          # id of the nearest look-alike (next member of the group)
    group: tuple = ()  # ids of all look-alikes (the group, this instance excluded)
    held_out: bool = False  # not in the benchmark (pretraining and distractors only)

    @property
    def phrase(self) -> str:
        return f"{self.name} the {self.category}"


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str          # domain | context | attribute | viewpoint | addition | neutral
    text: str          # the i-CIR-style text query ("at night")


CONDITIONS = (
    Condition("sketch", "domain", "as a pencil sketch"),
    Condition("pixel", "domain", "as pixel art"),
    Condition("painting", "domain", "as an oil painting"),
    Condition("cartoon", "domain", "as a cartoon"),
    Condition("night", "context", "at night"),
    Condition("snow", "context", "in the snow"),
    Condition("underwater", "context", "underwater"),
    Condition("sunset", "context", "at sunset"),
    Condition("desert", "context", "in the desert"),
    Condition("forest", "context", "in a forest"),
    Condition("gold", "attribute", "made of gold"),
    Condition("wood", "attribute", "made of wood"),
    Condition("stone", "attribute", "made of stone"),
    Condition("blue", "attribute", "painted blue"),
    Condition("red", "attribute", "painted red"),
    Condition("upside", "viewpoint", "upside down"),
    Condition("tilted", "viewpoint", "tilted sideways"),
    Condition("closeup", "viewpoint", "in close up"),
    Condition("far", "viewpoint", "seen from far away"),
    Condition("ball", "addition", "next to a ball"),
    Condition("flower", "addition", "with a flower"),
    Condition("cactus", "addition", "beside a cactus"),
    Condition("hat", "addition", "wearing a hat"),
)
NEUTRAL = Condition("neutral", "neutral", "")
CONDITION_BY_KEY = {c.key: c for c in CONDITIONS + (NEUTRAL,)}
KINDS = ("domain", "context", "attribute", "viewpoint", "addition")

_CONS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def stable_seed(*parts) -> list[int]:
    """A SeedSequence entropy list from strings/ints, stable across processes and Python versions."""
    return [p if isinstance(p, int) else zlib.crc32(str(p).encode()) for p in parts]


def rng_for(*parts) -> np.random.Generator:
    return np.random.default_rng(stable_seed(*parts))


def _names(rng: np.random.Generator, n: int) -> list[str]:
    out, seen = [], set()
    while len(out) < n:
        k = rng.integers(2, 4)
        name = "".join(rng.choice(list(_CONS)) + rng.choice(list(_VOWELS)) for _ in range(k))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def make_instances(seed: int = WORLD_SEED, categories=CATEGORIES,
                   per_category: int = INSTANCES_PER_CATEGORY, benchmark_only: bool = False) -> list[Instance]:
    """All instances of the world, deterministic from ``seed``, in look-alike groups of LOOKALIKE_GROUP.

    ``benchmark_only`` drops the held-out instances (the last member of each group)."""
    rng = rng_for(seed, "instances")
    names = _names(rng, len(categories) * per_category)
    colour_names = list(COLOURS)
    out = []
    for ci, cat in enumerate(categories):
        crng = rng_for(seed, "category", cat)
        n_groups = -(-per_category // LOOKALIKE_GROUP)
        bodies = crng.choice(colour_names, size=n_groups, replace=False)
        patterns = crng.choice(PATTERNS, size=n_groups, replace=False)
        for g in range(n_groups):
            members = list(range(g * LOOKALIKE_GROUP, min(per_category, (g + 1) * LOOKALIKE_GROUP)))
            body, pattern = str(bodies[g]), str(patterns[g])
            accent = str(crng.choice([c for c in colour_names if c != body]))
            emblems = crng.choice(EMBLEMS, size=len(members), replace=False)
            ecol = str(crng.choice([c for c in ("white", "black", "yellow", "red", "blue") if c != body]))
            aspect = float(crng.uniform(0.9, 1.15))
            ids = [f"{cat}_{names[ci * per_category + m]}" for m in members]
            for j, m in enumerate(members):
                out.append(Instance(
                    id=ids[j], name=names[ci * per_category + m], category=cat, body=body,
                    accent=accent, pattern=pattern, emblem=str(emblems[j]), emblem_colour=ecol,
                    aspect=round(aspect * (1.0 + 0.04 * (j - 1.5)), 3), twin=ids[(j + 1) % len(members)],
                    group=tuple(i for i in ids if i != ids[j]), held_out=j == LOOKALIKE_GROUP - 1))
    if benchmark_only:
        out = [i for i in out if not i.held_out]
    return out


def vocabulary(instances: list[Instance]) -> dict:
    """The world's words: object phrases (positive corpus) and condition phrases (negative corpus)."""
    return {
        "categories": sorted({i.category for i in instances}),
        "instance_phrases": [i.phrase for i in instances],
        "conditions": [c.text for c in CONDITIONS],
    }
