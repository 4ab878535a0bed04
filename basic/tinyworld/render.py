"""Render an instance under a condition: a deterministic PIL image (default 64 px).

The object is drawn on a transparent 128-px layer (body with its pattern and emblem, category parts in
the accent colour), transformed by the condition (material, colour, viewpoint, addition), composited on
a background (plain pastel, or the condition's environment), then given the condition's domain style
and downsampled. Small random jitter (position, scale, background tint) comes from ``rng``.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from .world import COLOURS, CONDITION_BY_KEY, Instance, rng_for

C = 128  # drawing canvas
EMBLEM_SCALE = 0.8  # version 2: a smaller emblem than version 1's, a subtler identity cue


def _rgb(name):
    return COLOURS[name]


# ----------------------------------------------------------------------------- patterns and emblems
def _pattern(kind: str, base, accent, size=C) -> Image.Image:
    img = Image.new("RGB", (size, size), base)
    d = ImageDraw.Draw(img)
    s = 10
    if kind == "hstripes":
        for y in range(0, size, s):
            d.rectangle([0, y, size, y + s // 2 - 1], fill=accent)
    elif kind == "vstripes":
        for x in range(0, size, s):
            d.rectangle([x, 0, x + s // 2 - 1, size], fill=accent)
    elif kind == "diagonal":
        for k in range(-size, size, s + 2):
            d.line([(k, 0), (k + size, size)], fill=accent, width=4)
    elif kind == "dots":
        for y in range(3, size, s + 2):
            for x in range(3 + (y // (s + 2)) % 2 * 6, size, s + 2):
                d.ellipse([x, y, x + 5, y + 5], fill=accent)
    elif kind == "checker":
        for y in range(0, size, s):
            for x in range(0, size, s):
                if (x // s + y // s) % 2:
                    d.rectangle([x, y, x + s - 1, y + s - 1], fill=accent)
    elif kind == "zigzag":
        for y in range(4, size, 14):
            pts = [(x, y + (6 if (x // 8) % 2 else 0)) for x in range(0, size + 8, 8)]
            d.line(pts, fill=accent, width=3)
    return img


def _emblem(d: ImageDraw.ImageDraw, kind: str, cx, cy, r, fill):
    if kind == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif kind == "square":
        d.rectangle([cx - r * .8, cy - r * .8, cx + r * .8, cy + r * .8], fill=fill)
    elif kind == "triangle":
        d.polygon([(cx, cy - r), (cx + r, cy + r * .8), (cx - r, cy + r * .8)], fill=fill)
    elif kind == "diamond":
        d.polygon([(cx, cy - r), (cx + r * .75, cy), (cx, cy + r), (cx - r * .75, cy)], fill=fill)
    elif kind == "cross":
        w = r * .38
        d.rectangle([cx - w, cy - r, cx + w, cy + r], fill=fill)
        d.rectangle([cx - r, cy - w, cx + r, cy + w], fill=fill)
    elif kind == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * .45
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=fill)
    elif kind == "moon":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        d.ellipse([cx - r * .3, cy - r * 1.05, cx + r * 1.4, cy + r * .75], fill=(0, 0, 0, 0))
    elif kind == "heart":
        d.ellipse([cx - r, cy - r * .8, cx, cy + r * .1], fill=fill)
        d.ellipse([cx, cy - r * .8, cx + r, cy + r * .1], fill=fill)
        d.polygon([(cx - r * .98, cy - r * .2), (cx + r * .98, cy - r * .2), (cx, cy + r)], fill=fill)
    elif kind == "bolt":
        d.polygon([(cx + r * .3, cy - r), (cx - r * .6, cy + r * .15), (cx - r * .05, cy + r * .15),
                   (cx - r * .35, cy + r), (cx + r * .6, cy - r * .2), (cx + r * .05, cy - r * .2)], fill=fill)


class _Painter:
    """Draws parts of one instance on a transparent layer."""

    def __init__(self, inst: Instance, body=None):
        self.inst = inst
        self.layer = Image.new("RGBA", (C, C), (0, 0, 0, 0))
        self.d = ImageDraw.Draw(self.layer)
        self.body = body or _rgb(inst.body)
        self.accent = _rgb(inst.accent)
        self.outline = (25, 25, 25)

    def patterned(self, shape: str, box, emblem=True, er=None, ecentre=None, poly=None):
        """A body part filled with the instance's pattern, outlined, with the emblem at its centre."""
        mask = Image.new("L", (C, C), 0)
        md = ImageDraw.Draw(mask)
        if shape == "ellipse":
            md.ellipse(box, fill=255)
        elif shape == "rect":
            md.rectangle(box, fill=255)
        elif shape == "round":
            md.rounded_rectangle(box, radius=int(min(box[2] - box[0], box[3] - box[1]) * .2), fill=255)
        elif shape == "poly":
            md.polygon(poly, fill=255)
        elif shape == "pie":
            md.pieslice(box, 180, 360, fill=255)
        self.layer.paste(_pattern(self.inst.pattern, self.body, self.accent).convert("RGBA"), (0, 0), mask)
        edge = mask.filter(ImageFilter.MaxFilter(3))
        ring = Image.new("RGBA", (C, C), self.outline + (255,))
        ring.putalpha(Image.fromarray(np.clip(np.asarray(edge, np.int16) - np.asarray(mask, np.int16), 0, 255).astype(np.uint8)))
        self.layer.alpha_composite(ring)
        if emblem:
            x0, y0, x1, y1 = box if poly is None else (min(p[0] for p in poly), min(p[1] for p in poly),
                                                       max(p[0] for p in poly), max(p[1] for p in poly))
            cx, cy = ecentre or ((x0 + x1) / 2, (y0 + y1) / 2)
            r = (er or max(7.0, min(x1 - x0, y1 - y0) * .22)) * EMBLEM_SCALE
            _emblem(self.d, self.inst.emblem, cx, cy, r + 2, self.outline + (255,))
            _emblem(self.d, self.inst.emblem, cx, cy, r, _rgb(self.inst.emblem_colour) + (255,))

    def part(self, shape, box, colour=None, width=0, poly=None):
        col = (colour or self.accent) + (255,)
        if shape == "ellipse":
            self.d.ellipse(box, fill=col, outline=self.outline, width=2)
        elif shape == "rect":
            self.d.rectangle(box, fill=col, outline=self.outline, width=2)
        elif shape == "poly":
            self.d.polygon(poly, fill=col, outline=self.outline)
        elif shape == "line":
            self.d.line(poly, fill=col, width=width)


def _draw_object(inst: Instance, body_rgb=None) -> Image.Image:
    p = _Painter(inst, body_rgb)
    a = inst.aspect
    cx = C / 2

    def w(half):  # horizontal half-extent scaled by the instance's proportions
        return half * a

    cat = inst.category
    if cat == "mug":
        p.part("ellipse", [cx + w(22) - 6, 46, cx + w(22) + 22, 82], width=0)
        p.d.ellipse([cx + w(22) + 2, 54, cx + w(22) + 14, 74], fill=(0, 0, 0, 0))
        p.patterned("round", [cx - w(26), 34, cx + w(26), 98])
    elif cat == "car":
        p.part("poly", None, poly=[(cx - w(24), 66), (cx - w(14), 42), (cx + w(16), 42), (cx + w(28), 66)])
        p.patterned("round", [cx - w(44), 62, cx + w(44), 90], ecentre=(cx, 76), er=9)
        for x in (cx - w(28), cx + w(28)):
            p.part("ellipse", [x - 10, 80, x + 10, 100], colour=(30, 30, 30))
    elif cat == "house":
        p.part("poly", None, poly=[(cx - w(42), 58), (cx, 22), (cx + w(42), 58)])
        p.patterned("rect", [cx - w(34), 56, cx + w(34), 104], ecentre=(cx - w(14), 74), er=9)
        p.part("rect", [cx + w(8), 78, cx + w(24), 104], colour=(90, 60, 30))
    elif cat == "fish":
        p.part("poly", None, poly=[(cx + w(26), 64), (cx + w(48), 44), (cx + w(48), 84)])
        p.patterned("ellipse", [cx - w(40), 40, cx + w(32), 88])
        p.d.ellipse([cx - w(30), 54, cx - w(30) + 8, 62], fill=(20, 20, 20, 255))
    elif cat == "bird":
        p.part("poly", None, poly=[(cx - w(34), 42), (cx - w(50), 48), (cx - w(34), 54)])
        p.patterned("ellipse", [cx - w(26), 52, cx + w(34), 98], ecentre=(cx + w(6), 76))
        p.part("ellipse", [cx - w(38), 30, cx - w(12), 56], colour=p.body)
        p.d.ellipse([cx - w(30), 38, cx - w(24), 44], fill=(20, 20, 20, 255))
        p.part("line", None, poly=[(cx + w(30), 70), (cx + w(50), 60)], width=6)
    elif cat == "tree":
        p.part("rect", [cx - 8, 76, cx + 8, 110], colour=(110, 70, 35))
        p.patterned("ellipse", [cx - w(40), 18, cx + w(40), 86])
        p.part("ellipse", [cx - 8, 102, cx + 8, 110])
    elif cat == "lamp":
        p.part("line", None, poly=[(cx, 60), (cx, 100)], width=6)
        p.part("ellipse", [cx - w(26), 96, cx + w(26), 110])
        p.patterned("poly", None, poly=[(cx - w(18), 24), (cx + w(18), 24), (cx + w(36), 64), (cx - w(36), 64)])
    elif cat == "chair":
        for x in (cx - w(26), cx + w(22)):
            p.part("rect", [x, 74, x + 6, 108])
        p.patterned("rect", [cx - w(28), 20, cx + w(28), 66])
        p.part("rect", [cx - w(32), 64, cx + w(32), 76])
    elif cat == "boat":
        p.part("line", None, poly=[(cx, 20), (cx, 74)], width=4)
        p.part("poly", None, poly=[(cx + 4, 24), (cx + 4, 68), (cx + w(34), 68)])
        p.patterned("poly", None, poly=[(cx - w(48), 72), (cx + w(48), 72), (cx + w(34), 100), (cx - w(34), 100)],
                    ecentre=(cx, 85), er=9)
    elif cat == "bottle":
        p.part("rect", [cx - 9, 14, cx + 9, 26])
        p.part("rect", [cx - 7, 24, cx + 7, 44], colour=(200, 220, 220))
        p.patterned("round", [cx - w(22), 42, cx + w(22), 112])
    elif cat == "robot":
        p.part("rect", [cx - w(18), 16, cx + w(18), 44])
        for x in (cx - w(10), cx + w(6)):
            p.d.ellipse([x - 1, 26, x + 5, 32], fill=(250, 250, 120, 255))
        p.part("line", None, poly=[(cx - w(28), 56), (cx - w(44), 84)], width=6)
        p.part("line", None, poly=[(cx + w(28), 56), (cx + w(44), 84)], width=6)
        p.patterned("rect", [cx - w(28), 44, cx + w(28), 96])
        for x in (cx - w(18), cx + w(10)):
            p.part("rect", [x, 96, x + 8, 112])
    elif cat == "clock":
        p.patterned("ellipse", [cx - w(46), 18, cx + w(46), 110], emblem=False)
        p.part("ellipse", [cx - w(30), 34, cx + w(30), 94], colour=(250, 250, 240))
        _emblem(p.d, inst.emblem, cx, 80, 8 * EMBLEM_SCALE, _rgb(inst.emblem_colour) + (255,))
        p.part("line", None, poly=[(cx, 64), (cx, 42)], width=4)
        p.part("line", None, poly=[(cx, 64), (cx + w(18), 58)], width=4)
    elif cat == "kite":
        p.part("line", None, poly=[(cx, 100), (cx - 10, 112), (cx + 6, 122)], width=3)
        p.patterned("poly", None, poly=[(cx, 14), (cx + w(34), 54), (cx, 104), (cx - w(34), 54)], ecentre=(cx, 56))
    elif cat == "umbrella":
        p.part("line", None, poly=[(cx, 60), (cx, 104)], width=5)
        p.d.arc([cx - 14, 96, cx, 112], 0, 180, fill=p.accent + (255,), width=5)
        p.patterned("pie", [cx - w(50), 24, cx + w(50), 100], ecentre=(cx, 46), er=10)
    elif cat == "rocket":
        for s in (-1, 1):
            p.part("poly", None, poly=[(cx + s * w(14), 80), (cx + s * w(30), 108), (cx + s * w(12), 100)])
        p.part("poly", None, poly=[(cx - w(16), 34), (cx, 8), (cx + w(16), 34)])
        p.patterned("round", [cx - w(16), 32, cx + w(16), 104], ecentre=(cx, 62), er=9)
    elif cat == "shield":
        p.patterned("poly", None, poly=[(cx - w(40), 18), (cx + w(40), 18), (cx + w(38), 70), (cx, 112), (cx - w(38), 70)],
                    ecentre=(cx, 56), er=16)
    else:
        raise ValueError(f"no drawing for category {cat!r}")
    return p.layer


# ----------------------------------------------------------------------------- conditions
def _tint_layer(layer: Image.Image, colour, strength: float, texture=None) -> Image.Image:
    """Recolour an RGBA layer by its luminance (keeps patterns and emblems as shading)."""
    arr = np.asarray(layer).astype(np.float32)
    lum = arr[..., :3].mean(-1, keepdims=True) / 255.0
    tint = np.asarray(colour, np.float32) * (0.35 + 0.9 * lum)
    if texture is not None:
        tint = tint * texture[..., None]
    rgb = arr[..., :3] * (1 - strength) + tint * strength
    out = np.concatenate([np.clip(rgb, 0, 255), arr[..., 3:]], -1).astype(np.uint8)
    return Image.fromarray(out, "RGBA")


def _background(key: str, rng: np.random.Generator) -> Image.Image:
    bg = Image.new("RGB", (C, C))
    d = ImageDraw.Draw(bg)
    j = lambda c, s=18: tuple(int(np.clip(v + rng.integers(-s, s + 1), 0, 255)) for v in c)
    if key == "night":
        top, bottom = j((10, 15, 45), 8), j((25, 30, 70), 8)
    elif key == "snow":
        top, bottom = j((200, 210, 225), 10), j((245, 245, 250), 5)
    elif key == "underwater":
        top, bottom = j((30, 140, 170), 12), j((10, 60, 110), 12)
    elif key == "sunset":
        top, bottom = j((250, 120, 60), 12), j((120, 50, 120), 12)
    elif key == "desert":
        top, bottom = j((150, 200, 240), 10), j((225, 190, 120), 10)
    elif key == "forest":
        top, bottom = j((90, 140, 90), 12), j((40, 80, 40), 12)
    else:  # plain pastel studio background
        base = j((225, 225, 215), 28)
        top, bottom = base, j(base, 10)
    for y in range(C):
        t = y / (C - 1)
        d.line([(0, y), (C, y)], fill=tuple(int(a * (1 - t) + b * t) for a, b in zip(top, bottom)))
    if key == "night":
        for _ in range(25):
            x, y = rng.integers(0, C, 2)
            d.point([(x, y), (x + 1, y)], fill=(255, 255, 220))
        mx, my = rng.integers(90, 118), rng.integers(8, 30)
        d.ellipse([mx, my, mx + 14, my + 14], fill=(250, 250, 210))
    elif key == "snow":
        d.rectangle([0, 100, C, C], fill=(252, 252, 255))
    elif key == "underwater":
        for _ in range(3):
            x = int(rng.integers(0, C))
            d.line([(x, C), (x + rng.integers(-8, 9), C - rng.integers(20, 45))], fill=(40, 130, 60), width=4)
    elif key == "sunset":
        d.ellipse([C / 2 - 30, 78, C / 2 + 30, 138], fill=(255, 200, 80))
        d.rectangle([0, 108, C, C], fill=(60, 30, 60))
    elif key == "desert":
        d.ellipse([-40, 92, 80, 160], fill=(215, 175, 105))
        d.ellipse([50, 98, 180, 170], fill=(235, 200, 135))
        d.ellipse([100, 10, 120, 30], fill=(255, 240, 150))
    elif key == "forest":
        for _ in range(6):
            x, h = int(rng.integers(-10, C + 10)), int(rng.integers(40, 80))
            d.polygon([(x - 16, C - 10), (x + 16, C - 10), (x, C - 10 - h)], fill=j((25, 70, 35), 10))
            d.rectangle([x - 3, C - 12, x + 3, C], fill=(70, 45, 25))
    return bg


def _addition(key: str, rng: np.random.Generator) -> Image.Image:
    layer = Image.new("RGBA", (C, C), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    x, y = 104 + int(rng.integers(-4, 5)), 96 + int(rng.integers(-6, 6))
    if key == "ball":
        d.ellipse([x - 14, y - 14, x + 14, y + 14], fill=(230, 40, 40, 255), outline=(20, 20, 20, 255), width=2)
        d.arc([x - 14, y - 6, x + 14, y + 6], 0, 180, fill=(255, 255, 255, 255), width=3)
    elif key == "flower":
        d.line([(x, y + 20), (x, y - 6)], fill=(40, 140, 40, 255), width=4)
        for k in range(6):
            a = k * math.pi / 3
            px, py = x + 9 * math.cos(a), y - 12 + 9 * math.sin(a)
            d.ellipse([px - 6, py - 6, px + 6, py + 6], fill=(250, 120, 200, 255))
        d.ellipse([x - 5, y - 17, x + 5, y - 7], fill=(250, 220, 40, 255))
    elif key == "cactus":
        g = (40, 150, 60, 255)
        d.rounded_rectangle([x - 6, y - 30, x + 6, y + 22], radius=6, fill=g, outline=(20, 60, 20, 255))
        d.rounded_rectangle([x - 18, y - 16, x - 10, y + 2], radius=4, fill=g)
        d.rectangle([x - 12, y - 2, x - 4, y + 4], fill=g)
        d.rectangle([x - 8, y + 18, x + 8, y + 28], fill=(180, 90, 40, 255))
    elif key == "hat":
        hx, hy = C // 2 + int(rng.integers(-5, 6)), 22 + int(rng.integers(-3, 4))
        d.rectangle([hx - 24, hy + 14, hx + 24, hy + 20], fill=(25, 25, 25, 255))
        d.rectangle([hx - 14, hy - 12, hx + 14, hy + 16], fill=(25, 25, 25, 255))
        d.rectangle([hx - 14, hy + 6, hx + 14, hy + 11], fill=(200, 40, 60, 255))
    return layer


def _wood_texture(rng) -> np.ndarray:
    y = np.arange(C)[:, None] + 6 * np.sin(np.arange(C)[None, :] / 9 + rng.uniform(0, 6))
    return 0.8 + 0.2 * np.sin(y / 2.5)


def _stone_texture(rng) -> np.ndarray:
    small = rng.uniform(0.7, 1.1, size=(16, 16)).astype(np.float32)
    return np.asarray(Image.fromarray((small * 200).astype(np.uint8)).resize((C, C), Image.BILINEAR), np.float32) / 200


def render(inst: Instance, condition: str = "neutral", rng: np.random.Generator | None = None,
           size: int = 64) -> Image.Image:
    """The image of ``inst`` under ``condition`` (a key of CONDITION_BY_KEY), as an RGB PIL image."""
    if condition not in CONDITION_BY_KEY:
        raise KeyError(f"unknown condition {condition!r}; known: {sorted(CONDITION_BY_KEY)}")
    rng = rng if rng is not None else rng_for(inst.id, condition)
    key = condition
    body = COLOURS[key] if key in ("blue", "red") else None
    if key in ("blue", "red") and inst.body == key:
        body = tuple(v // 2 for v in COLOURS[key])
    obj = _draw_object(inst, body)
    if key == "gold":
        obj = _tint_layer(obj, (235, 185, 40), 0.85)
    elif key == "wood":
        obj = _tint_layer(obj, (160, 100, 50), 0.85, _wood_texture(rng))
    elif key == "stone":
        obj = _tint_layer(obj, (150, 150, 145), 0.9, _stone_texture(rng))

    # viewpoint and placement
    scale = float(rng.uniform(0.85, 1.0))
    angle = float(rng.uniform(-8, 8))
    if key == "upside":
        angle += 180
    elif key == "tilted":
        angle += 90 * (1 if rng.random() < .5 else -1)
    elif key == "closeup":
        scale = float(rng.uniform(1.7, 2.0))
    elif key == "far":
        scale = float(rng.uniform(0.38, 0.48))
    elif key in ("ball", "flower", "cactus", "hat"):
        scale *= 0.78
    obj = obj.rotate(angle, resample=Image.BILINEAR)
    n = max(8, int(C * scale))
    obj = obj.resize((n, n), Image.BILINEAR)
    dx, dy = (int(v) for v in rng.integers(-6, 7, 2))
    if key in ("ball", "flower", "cactus"):
        dx -= 20
    elif key == "hat":
        dy += 14
    if key == "closeup":
        dx, dy = (int(v) for v in rng.integers(-16, 17, 2))
    canvas = Image.new("RGBA", (C, C), (0, 0, 0, 0))
    canvas.alpha_composite(obj, (0, 0), (max(0, (n - C) // 2 - dx), max(0, (n - C) // 2 - dy))) if n > C \
        else canvas.alpha_composite(obj, ((C - n) // 2 + dx, (C - n) // 2 + dy))
    if key in ("ball", "flower", "cactus", "hat"):
        canvas.alpha_composite(_addition(key, rng))

    # context lighting on the object
    if key == "night":
        canvas = _tint_layer(canvas, (60, 70, 130), 0.6)
    elif key == "underwater":
        canvas = _tint_layer(canvas, (60, 170, 190), 0.45)
    elif key == "sunset":
        canvas = _tint_layer(canvas, (240, 130, 70), 0.4)
    elif key == "forest":
        canvas = _tint_layer(canvas, (90, 150, 80), 0.3)
    img = _background(key, rng).convert("RGBA")
    img.alpha_composite(canvas)
    img = img.convert("RGB")
    if key == "snow":
        d = ImageDraw.Draw(img)
        for _ in range(40):
            x, y = (int(v) for v in rng.integers(0, C, 2))
            d.ellipse([x, y, x + 2, y + 2], fill=(255, 255, 255))
    elif key == "underwater":
        d = ImageDraw.Draw(img)
        for _ in range(8):
            x, y, r = int(rng.integers(0, C)), int(rng.integers(0, C)), int(rng.integers(2, 5))
            d.ellipse([x, y, x + r, y + r], outline=(200, 240, 255))

    # domain
    if key == "sketch":
        g = ImageOps.grayscale(img).filter(ImageFilter.FIND_EDGES)
        g = ImageOps.invert(ImageOps.autocontrast(g))
        paper = np.asarray(g, np.float32)[..., None] * np.array([1.0, 0.98, 0.92])
        img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    elif key == "pixel":
        cells = int(rng.integers(14, 19))
        img = img.resize((cells, cells), Image.BOX).quantize(colors=8, dither=Image.Dither.NONE).convert("RGB")
        img = img.resize((C, C), Image.NEAREST)
    elif key == "painting":
        img = img.filter(ImageFilter.ModeFilter(7)).filter(ImageFilter.GaussianBlur(1.2))
        arr = np.asarray(img, np.float32)
        strokes = rng.normal(0, 14, size=(C // 4, C // 4, 3)).repeat(4, 0).repeat(4, 1)
        arr = arr * np.array([1.05, 1.0, 0.85]) + strokes + 10
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    elif key == "cartoon":
        alpha = canvas.getchannel("A")
        ring = np.clip(np.asarray(alpha.filter(ImageFilter.MaxFilter(7)), np.int16) - np.asarray(alpha, np.int16), 0, 255)
        flat = img.filter(ImageFilter.MedianFilter(5)).quantize(colors=6, dither=Image.Dither.NONE).convert("RGB")
        flat = Image.fromarray(np.clip(np.asarray(flat, np.float32) * 1.1 + 15, 0, 255).astype(np.uint8))
        img = Image.composite(Image.new("RGB", (C, C), (15, 15, 15)), flat, Image.fromarray(ring.astype(np.uint8)))
    img = img.resize((size, size), Image.BILINEAR if key != "pixel" else Image.NEAREST)
    return img


def render_array(inst: Instance, condition: str, seed_parts: tuple, size: int = 64) -> np.ndarray:
    """uint8 HxWx3 array; the random jitter is seeded by ``seed_parts`` (stable across processes)."""
    return np.asarray(render(inst, condition, rng_for(*seed_parts), size=size), dtype=np.uint8)
