"""The EBS volume OpenSearch Service attaches to a data node of each instance type.

`CreateDomain`/`UpdateDomainConfig` refuse a gp3 volume outside the instance type's bounds
("Amazon OpenSearch Service quotas" → "EBS volume size quotas",
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource).
The API model declares `EBSOptions.VolumeSize` as a plain integer (botocore `opensearch`
2021-01-01) and serves the bounds only at run time (`DescribeInstanceTypeLimits`), so they are
recorded as data, with their sources and grades, in `data/opensearch/ebs_volume_limits.csv`
(`data/opensearch/SOURCES.md`). Pure functions on plain values.

Only data nodes carry EBS: dedicated masters and UltraWarm nodes have no `EBSOptions`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

LIMITS_TABLE = Path(__file__).resolve().parents[2] / "data" / "opensearch" / "ebs_volume_limits.csv"


@dataclass(frozen=True)
class VolumeLimits:
    """The gp3 volume one data node of `instance_type` may have, GiB."""

    instance_type: str
    minimum_gib: int
    maximum_gib: int
    grade: Literal["A", "C"]
    """A: AWS-authored source; C: third-party transcriptions of it (SOURCES.md)."""
    source: str

    def problem(self, volume_gib: int) -> str | None:
        """What is wrong with a `volume_gib` volume on this type, or None."""
        table = f"data/opensearch/{LIMITS_TABLE.name}"
        if self.grade == "C":
            table += ", from third-party transcriptions of AWS's table"
        if volume_gib < self.minimum_gib:
            bound = f"at least {self.minimum_gib:,} GiB"
        elif volume_gib > self.maximum_gib:
            bound = f"at most {self.maximum_gib:,} GiB of gp3"
        else:
            return None
        return (
            f"OpenSearch Service attaches {bound} to a data node of {self.instance_type} ({table})"
        )


@cache
def volume_limits_table() -> Mapping[str, VolumeLimits]:
    """Every instance type with recorded limits."""
    with LIMITS_TABLE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = {
        row["instance_type"]: VolumeLimits(
            instance_type=row["instance_type"],
            minimum_gib=int(row["minimum_volume_gib"]),
            maximum_gib=int(row["maximum_gp3_volume_gib"]),
            grade=row["grade"],  # type: ignore[arg-type]
            source=row["source"],
        )
        for row in rows
    }
    bad = [
        name
        for name, limits in table.items()
        if not 0 < limits.minimum_gib <= limits.maximum_gib or limits.grade not in ("A", "C")
    ]
    if bad or len(table) != len(rows):
        raise ValueError(
            f"{LIMITS_TABLE}: repeated rows, or bounds out of order or no grade: {bad}"
        )
    return table


def volume_limits(instance_type: str) -> VolumeLimits | None:
    """The recorded limits of `instance_type`, or None when none are recorded (the type is then
    refused for data nodes: its volume could only be checked by `pulumi up`)."""
    return volume_limits_table().get(instance_type)


def no_limits_message() -> str:
    """Why a type without recorded limits is refused for data nodes, and what to do."""
    return (
        f"has no EBS volume limits recorded in data/opensearch/{LIMITS_TABLE.name}, so its "
        "data-node volume cannot be checked before `pulumi up`; add its row with a source "
        "(data/opensearch/SOURCES.md) or choose one of: " + ", ".join(sorted(volume_limits_table()))
    )
