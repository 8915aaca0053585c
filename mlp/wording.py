"""Counted nouns in what the tooling prints, in English: "1 node", "2 nodes", "0 pods"."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and `noun` for exactly one, else `nouns` (default `noun` + "s")."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
