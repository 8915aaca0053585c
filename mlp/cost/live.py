"""`--live-prices`: current EC2 prices from AWS, for the instance types the stack uses.

On-demand from the Price List API (`pricing:GetProducts`, Linux, shared tenancy, no
pre-installed software, capacity status Used: the same filters that produced the snapshot), spot
from `ec2:DescribeSpotPriceHistory` (latest price per zone, averaged over zones). Only used when
credentials exist; the snapshot prices everything else.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import mean
from typing import Any

# The Price List API is served from a few regions only; us-east-1 answers for every region.
PRICING_ENDPOINT_REGION = "us-east-1"


def credentials_available(session: Any) -> bool:
    return session.get_credentials() is not None


def _filters(instance_type: str, region: str) -> list[dict[str, str]]:
    wanted = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in wanted.items()]


def _on_demand_usd(price_item: str) -> float | None:
    product = json.loads(price_item)
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and dimension.get("unit") in ("Hrs", "Hours"):
                return float(usd)
    return None


def on_demand_prices(pricing_client: Any, instance_types: Iterable[str], region: str) -> dict[str, float]:
    found = {}
    for instance_type in sorted(set(instance_types)):
        response = pricing_client.get_products(
            ServiceCode="AmazonEC2", Filters=_filters(instance_type, region), MaxResults=10
        )
        prices = [p for p in (_on_demand_usd(item) for item in response.get("PriceList", [])) if p]
        if prices:
            found[instance_type] = min(prices)
    return found


def spot_prices(ec2_client: Any, instance_types: Iterable[str], now: datetime | None = None) -> dict[str, float]:
    types = sorted(set(instance_types))
    if not types:
        return {}
    latest: dict[tuple[str, str], tuple[datetime, float]] = {}
    paginator = ec2_client.get_paginator("describe_spot_price_history")
    for page in paginator.paginate(
        InstanceTypes=types,
        ProductDescriptions=["Linux/UNIX"],
        StartTime=now or datetime.now(UTC),
    ):
        for entry in page.get("SpotPriceHistory", []):
            key = (entry["InstanceType"], entry["AvailabilityZone"])
            stamp = entry["Timestamp"]
            if key not in latest or stamp > latest[key][0]:
                latest[key] = (stamp, float(entry["SpotPrice"]))
    per_type: dict[str, list[float]] = defaultdict(list)
    for (instance_type, _zone), (_stamp, price) in latest.items():
        per_type[instance_type].append(price)
    return {instance_type: mean(values) for instance_type, values in per_type.items()}


def read_live_prices(session: Any, instance_types: Iterable[str], region: str) -> tuple[dict[str, float], dict[str, float]]:
    """(on-demand, spot) $/h for the given types, read with the session's credentials."""
    types = list(instance_types)
    pricing = session.client("pricing", region_name=PRICING_ENDPOINT_REGION)
    ec2 = session.client("ec2", region_name=region)
    return on_demand_prices(pricing, types, region), spot_prices(ec2, types)
