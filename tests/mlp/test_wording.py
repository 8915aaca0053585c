"""Counted nouns read as English."""

from __future__ import annotations

import pytest

from mlp.wording import plural


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (1, ("node",), "1 node"),
        (2, ("node",), "2 nodes"),
        (0, ("pod",), "0 pods"),
        (1, ("Ingress", "Ingresses"), "1 Ingress"),
        (3, ("Ingress", "Ingresses"), "3 Ingresses"),
    ],
)
def test_one_is_singular_every_other_count_plural(count, words, expected):
    assert plural(count, *words) == expected
