"""Web-like captions for the pretraining set, and the prompts of the synthetic set.

Version 2 captions have the mixed specificity of web alt-texts: the subject is sometimes the instance's
name ("kimo the mug"), more often only its category ("a mug"), sometimes nothing specific ("an object");
the condition's phrase is usually there, sometimes as a paraphrase; clutter words ("hd", "stock photo")
come and go. No caption says which look-alike group an image belongs to unless it names the instance.
"""
from __future__ import annotations

import numpy as np

from .world import CONDITION_BY_KEY, Instance

P_NAMED = 0.3       # the subject is the instance's name
P_GENERIC = 0.15    # the subject is a generic word (otherwise the category)
P_CONDITION = 0.85  # a non-neutral image's caption mentions its condition
P_PARAPHRASE = 0.25 # ... with a paraphrase instead of the canonical phrase
P_CLUTTER = 0.35    # one or two clutter words
GENERIC = ("an object", "a thing", "something", "an item", "a toy")
CLUTTER = ("hd", "stock photo", "wallpaper", "free download", "cute", "new", "my favourite", "vintage",
           "2019", "best", "png", "high quality", "look at this", "img")
TEMPLATES = ("a photo of {x}", "{x}", "a picture of {x}", "an image of {x}", "{x}, photo")
PARAPHRASES = {
    "sketch": ("a pencil drawing of", "sketched"), "pixel": ("in pixel art", "8-bit"),
    "painting": ("painted in oils", "an oil painting"), "cartoon": ("cartoon style", "as a drawing for kids"),
    "night": ("in the dark", "by night"), "snow": ("snowy", "in winter snow"),
    "underwater": ("under the sea", "under water"), "sunset": ("at dusk", "in the evening sun"),
    "desert": ("on sand dunes", "in the sahara"), "forest": ("among the trees", "in the woods"),
    "gold": ("golden", "in gold"), "wood": ("wooden", "carved from wood"), "stone": ("stone", "carved in stone"),
    "blue": ("coloured blue", "blue"), "red": ("coloured red", "red"),
    "upside": ("upside-down", "flipped over"), "tilted": ("rotated sideways", "lying on its side"),
    "closeup": ("zoomed in", "close-up"), "far": ("tiny and distant", "from a distance"),
    "ball": ("and a ball", "with a red ball"), "flower": ("and a flower", "next to a pink flower"),
    "cactus": ("with a cactus", "and a cactus"), "hat": ("with a top hat", "in a hat"),
}


def caption(inst: Instance, condition: str, rng: np.random.Generator) -> str:
    u = rng.random()
    if u < P_NAMED:
        x = inst.phrase
    elif u < P_NAMED + P_GENERIC:
        x = str(rng.choice(GENERIC))
    else:
        x = f"a {inst.category}"
    text = str(rng.choice(TEMPLATES)).format(x=x)
    if condition != "neutral" and rng.random() < P_CONDITION:
        cond = CONDITION_BY_KEY[condition].text
        if rng.random() < P_PARAPHRASE:
            cond = str(rng.choice(PARAPHRASES[condition]))
        text = f"{text} {cond}"
    if rng.random() < P_CLUTTER:
        words = [str(w) for w in rng.choice(CLUTTER, size=int(rng.integers(1, 3)), replace=False)]
        text = " ".join(words + [text]) if rng.random() < 0.5 else " ".join([text] + words)
    return text


def prompt(inst: Instance, condition: str) -> str:
    """The synthetic-set prompt of an (instance, condition) pair (always names the instance)."""
    cond = CONDITION_BY_KEY[condition].text
    return f"a photo of {inst.phrase} {cond}".strip()
