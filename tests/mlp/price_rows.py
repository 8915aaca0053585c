"""Rows of the shipped price table, read with the csv module, so tests compute their expected
figures from the rows they name rather than from numbers they make up."""

from __future__ import annotations

import csv
from functools import cache

from mlp.plan import PROJECT_DIR

PRICING = PROJECT_DIR / "data" / "pricing"


@cache
def _rows(file: str, key: str) -> dict[str, dict[str, str]]:
    with (PRICING / file).open(newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def on_demand(instance_type: str) -> float:
    return float(_rows("ec2_ondemand_us_east_1.csv", "instance_type")[instance_type]["usd_per_hour"])


def spot(instance_type: str) -> float:
    savings = float(_rows("ec2_spot_us_east_1.csv", "instance_type")[instance_type]["savings_over_ondemand_pct"])
    return on_demand(instance_type) * (1 - savings / 100)


def vcpu(instance_type: str) -> float:
    return float(_rows("ec2_ondemand_us_east_1.csv", "instance_type")[instance_type]["vcpu"])


def memory_gib(instance_type: str) -> float:
    return float(_rows("ec2_ondemand_us_east_1.csv", "instance_type")[instance_type]["memory_gib"])


def service(item: str) -> float:
    return float(_rows("services_us_east_1.csv", "item")[item]["usd"])
