"""The price table shipped with the project (`data/pricing/`, us-east-1), read with the csv
module, and optionally overlaid with live prices (`mlp.cost.live`).

Sources and dates of every row are in `data/pricing/SOURCES.md`: EC2 on-demand from the AWS Price
List as generated into Karpenter's pricing file (2026-07-20), Spot Instance Advisor savings
(2025-06), and service unit prices graded A (AWS text) to C (third-party transcription).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path

PRICING_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "pricing"
SNAPSHOT_REGION = "us-east-1"

ON_DEMAND_FILE = "ec2_ondemand_us_east_1.csv"
SPOT_FILE = "ec2_spot_us_east_1.csv"
SERVICES_FILE = "services_us_east_1.csv"


class UnpricedError(LookupError):
    """The table has no price for something the program declares."""


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: float
    memory_gib: float
    usd_per_hour: float


@dataclass(frozen=True)
class PriceTable:
    """Unit prices in USD. `live_*` overlay the snapshot when `--live-prices` read them."""

    instances: dict[str, InstanceType]
    spot_savings_pct: dict[str, float]
    services: dict[str, float]
    live_on_demand: dict[str, float] = field(default_factory=dict)
    live_spot: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = PRICING_DIR) -> PriceTable:
        with (directory / ON_DEMAND_FILE).open(newline="") as handle:
            instances = {
                row["instance_type"]: InstanceType(
                    row["instance_type"],
                    float(row["vcpu"]),
                    float(row["memory_gib"]),
                    float(row["usd_per_hour"]),
                )
                for row in csv.DictReader(handle)
            }
        with (directory / SPOT_FILE).open(newline="") as handle:
            savings = {
                row["instance_type"]: float(row["savings_over_ondemand_pct"])
                for row in csv.DictReader(handle)
            }
        with (directory / SERVICES_FILE).open(newline="") as handle:
            services = {row["item"]: float(row["usd"]) for row in csv.DictReader(handle)}
        return cls(instances=instances, spot_savings_pct=savings, services=services)

    def with_live(self, on_demand: dict[str, float], spot: dict[str, float]) -> PriceTable:
        return replace(self, live_on_demand=dict(on_demand), live_spot=dict(spot))

    def instance(self, instance_type: str) -> InstanceType:
        try:
            return self.instances[instance_type]
        except KeyError:
            raise UnpricedError(f"no EC2 price for {instance_type} in {ON_DEMAND_FILE}") from None

    def on_demand_hourly(self, instance_type: str) -> float:
        if instance_type in self.live_on_demand:
            return self.live_on_demand[instance_type]
        return self.instance(instance_type).usd_per_hour

    def spot_hourly(self, instance_type: str) -> float:
        """The live spot price if read, else on-demand less the Spot Instance Advisor's average
        savings for the type (a 30-day average, not a quote)."""
        if instance_type in self.live_spot:
            return self.live_spot[instance_type]
        if instance_type not in self.spot_savings_pct:
            raise UnpricedError(f"no spot savings for {instance_type} in {SPOT_FILE}")
        return self.on_demand_hourly(instance_type) * (1 - self.spot_savings_pct[instance_type] / 100)

    def service(self, item: str) -> float:
        try:
            return self.services[item]
        except KeyError:
            raise UnpricedError(f"no row {item!r} in {SERVICES_FILE}") from None

    def opensearch_hourly(self, instance_type: str) -> float:
        return self.service(f"opensearch_{instance_type}")

    @property
    def source(self) -> str:
        return "live + snapshot" if self.live_on_demand or self.live_spot else "snapshot"
