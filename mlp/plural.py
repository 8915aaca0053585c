"""Counts in the tooling's output read as English: "1 node", "2 nodes", "1 policy", "3 policies"."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` with `noun` (one) or `nouns` (any other count; default `noun` + "s")."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
