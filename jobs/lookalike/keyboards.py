"""Keyboard neighbours, derived from key positions rather than typed out by hand.

Each layout is its rows and each row's horizontal offset in key widths (the usual
stagger). Two keys are neighbours when they sit side by side in a row, or in adjacent
rows with centres less than one key width apart. Only characters that can appear in a
host name are kept.
"""

from __future__ import annotations

from functools import cache

from jobs.lookalike.idn import LDH

Layout = tuple[tuple[float, str], ...]

_NUMBERS = (0.0, "1234567890-")

QWERTY: Layout = (_NUMBERS, (0.5, "qwertyuiop"), (0.75, "asdfghjkl;"), (1.25, "zxcvbnm,./"))
QWERTZ: Layout = (_NUMBERS, (0.5, "qwertzuiop"), (0.75, "asdfghjkl;"), (1.25, "yxcvbnm,.-"))
AZERTY: Layout = (_NUMBERS, (0.5, "azertyuiop"), (0.75, "qsdfghjklm"), (1.25, "wxcvbn,;:!"))

LAYOUTS: dict[str, Layout] = {"qwerty": QWERTY, "qwertz": QWERTZ, "azerty": AZERTY}


def _positions(layout: Layout) -> list[tuple[str, int, float]]:
    return [
        (key, row, offset + col)
        for row, (offset, keys) in enumerate(layout)
        for col, key in enumerate(keys)
    ]


def layout_neighbours(layout: Layout) -> dict[str, str]:
    keys = _positions(layout)
    found: dict[str, str] = {}
    for key, row, x in keys:
        if key not in LDH:
            continue
        near = [
            other for other, orow, ox in keys
            if other != key and other in LDH and _adjacent(orow - row, ox - x)
        ]
        found[key] = "".join(near)
    return found


def _adjacent(rows: int, width: float) -> bool:
    if rows == 0:
        return abs(width) <= 1.0
    return abs(rows) == 1 and abs(width) < 1.0


@cache
def neighbours() -> dict[str, str]:
    """Union over all layouts: the keys a finger aimed at each key may hit instead."""
    merged: dict[str, dict[str, None]] = {}
    for layout in LAYOUTS.values():
        for key, near in layout_neighbours(layout).items():
            merged.setdefault(key, {}).update(dict.fromkeys(near))
    return {key: "".join(near) for key, near in merged.items()}
