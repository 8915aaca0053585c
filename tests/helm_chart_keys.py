"""Reading a pinned Helm chart's values key paths (tests/data/<chart>-<version>-values-keys.txt)
and finding the values a release passes that the chart does not have."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

RELEASE = "kubernetes:helm.sh/v3:Release"
DATA = Path(__file__).resolve().parent / "data"
OPEN = ".*"


def key_file(chart: str, version: str) -> Path:
    """The key file of a chart reference (a repository chart name or an oci:// address)."""
    return DATA / f"{chart.rstrip('/').rsplit('/', 1)[-1]}-{version}-values-keys.txt"


def chart_keys(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(every key path the chart has, the paths of the maps it leaves open)."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return (
        frozenset(line for line in lines if not line.endswith(OPEN)),
        frozenset(line.removesuffix(OPEN) for line in lines if line.endswith(OPEN)),
    )


def value_paths(values: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted path of every mapping key in `values`, at every depth; lists are leaves."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, Mapping):
            yield from value_paths(value, f"{path}.")


def unknown_paths(values: Mapping[str, Any], keys: frozenset[str], open_maps: frozenset[str]) -> list[str]:
    """The values paths the chart does not have (a path below an open map is the user's own)."""
    return [
        path
        for path in value_paths(values)
        if path not in keys and not any(path.startswith(f"{prefix}.") for prefix in open_maps)
    ]
