import pytest

from jobs.lookalike.keyboards import AZERTY, QWERTY, QWERTZ, layout_neighbours, neighbours


@pytest.mark.parametrize(
    ("layout", "key", "expected"),
    [
        (QWERTY, "q", "12wa"),
        (QWERTY, "a", "qwsz"),
        (QWERTY, "g", "tyfhvb"),
        (QWERTY, "m", "njk"),
        (QWERTY, "p", "0-ol"),
        (QWERTZ, "z", "67tuhg"),
        (QWERTZ, "y", "asx"),
        (AZERTY, "a", "12zq"),
        (AZERTY, "m", "pl"),
        (AZERTY, "w", "qsx"),
    ],
)
def test_neighbours_by_layout(layout, key, expected):
    assert set(layout_neighbours(layout)[key]) == set(expected)


def test_union_of_layouts():
    near = neighbours()
    assert set("12wa") | set("1z2sa") <= set(near["q"])  # QWERTY and AZERTY
    assert set(near) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert all(key not in keys for key, keys in near.items())
