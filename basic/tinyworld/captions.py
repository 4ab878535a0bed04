"""Template captions for the pretraining set and random prompts for the synthetic set.

A caption names the instance ("kimo the mug") for some images and only the category ("a mug") for
others, always with the condition's phrase when there is one; a few captions hold only the condition,
the way bare text queries ("at night") read.
"""
from __future__ import annotations

import numpy as np

from .world import CONDITION_BY_KEY, Instance

TEMPLATES = ("a photo of {x} {c}", "{x} {c}", "a picture of {x}, {c}", "an image of {x} {c}")
NEUTRAL_TEMPLATES = ("a photo of {x}", "{x}", "a picture of {x}", "an image of {x}")
P_NAMED = 0.6       # caption names the instance
P_COND_ONLY = 0.05  # caption holds only the condition


def caption(inst: Instance, condition: str, rng: np.random.Generator) -> str:
    cond = CONDITION_BY_KEY[condition].text
    u = rng.random()
    if cond and u < P_COND_ONLY:
        return str(rng.choice(["{c}", "a photo {c}", "something {c}"])).format(c=cond)
    x = inst.phrase if rng.random() < P_NAMED else f"a {inst.category}"
    tpl = rng.choice(TEMPLATES if cond else NEUTRAL_TEMPLATES)
    return str(tpl).format(x=x, c=cond).strip()


def prompt(inst: Instance, condition: str) -> str:
    """The synthetic-set prompt of an (instance, condition) pair (always names the instance)."""
    cond = CONDITION_BY_KEY[condition].text
    return f"a photo of {inst.phrase} {cond}".strip()
