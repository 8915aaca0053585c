"""`--live-prices`: the Price List and spot price history, read through stubbed AWS clients
(botocore's Stubber checks every request against the service model); never AWS itself."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infra.settings.cost import CostSettings
from mlp.cli import main
from mlp.cost.estimate import estimate
from mlp.cost.live import on_demand_prices, read_live_prices, spot_prices
from mlp.cost.prices import PriceTable
from mlp.plan import declare_offline
from tests.mlp.crafted import WORKER_TYPES, declare_platform

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _price_item(instance_type: str, usd: str) -> str:
    return json.dumps(
        {
            "product": {"attributes": {"instanceType": instance_type, "regionCode": "us-east-1"}},
            "terms": {"OnDemand": {"T1": {"priceDimensions": {"D1": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}},
        }
    )


def _clients():
    pricing = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return pricing, ec2


def _stub_pricing(stubber: Stubber, prices: dict[str, str]) -> None:
    for instance_type in sorted(prices):
        stubber.add_response(
            "get_products",
            {"PriceList": [_price_item(instance_type, prices[instance_type])], "FormatVersion": "aws_v1"},
            {"ServiceCode": "AmazonEC2", "Filters": ANY, "MaxResults": 10},
        )


def _stub_spot(stubber: Stubber, history: list[dict]) -> None:
    stubber.add_response(
        "describe_spot_price_history",
        {"SpotPriceHistory": history},
        {"InstanceTypes": ANY, "ProductDescriptions": ["Linux/UNIX"], "StartTime": ANY},
    )


def _entry(instance_type, zone, price, hour):
    return {"InstanceType": instance_type, "AvailabilityZone": zone, "SpotPrice": price, "ProductDescription": "Linux/UNIX", "Timestamp": NOW.replace(hour=hour)}


def test_on_demand_prices_come_from_get_products():
    pricing, _ = _clients()
    with Stubber(pricing) as stubber:
        _stub_pricing(stubber, {"m6i.xlarge": "0.2000000000", "m5.xlarge": "0.1900000000"})
        assert on_demand_prices(pricing, ["m6i.xlarge", "m5.xlarge"], "us-east-1") == {"m6i.xlarge": 0.2, "m5.xlarge": 0.19}
        stubber.assert_no_pending_responses()


def test_spot_price_is_the_latest_per_zone_averaged_over_zones():
    _, ec2 = _clients()
    history = [
        _entry("m6i.xlarge", "us-east-1a", "0.0500", 10),
        _entry("m6i.xlarge", "us-east-1a", "0.0700", 11),  # latest in 1a
        _entry("m6i.xlarge", "us-east-1b", "0.0900", 9),
    ]
    with Stubber(ec2) as stubber:
        _stub_spot(stubber, history)
        assert spot_prices(ec2, ["m6i.xlarge"], now=NOW) == {"m6i.xlarge": pytest.approx((0.07 + 0.09) / 2)}


class _Session:
    def __init__(self, pricing, ec2, credentials=True):
        self._clients = {"pricing": pricing, "ec2": ec2}
        self._credentials = credentials

    def get_credentials(self):
        return object() if self._credentials else None

    def client(self, name, region_name=None):
        return self._clients[name]


def test_live_prices_replace_the_snapshot_for_the_pool_types():
    pricing, ec2 = _clients()
    live_od = {t: "1.0000" for t in WORKER_TYPES}
    with Stubber(pricing) as pricing_stub, Stubber(ec2) as ec2_stub:
        _stub_pricing(pricing_stub, live_od)
        _stub_spot(ec2_stub, [_entry(t, "us-east-1a", "0.5000", 10) for t in WORKER_TYPES])
        on_demand, spot = read_live_prices(_Session(pricing, ec2), WORKER_TYPES, "us-east-1")
    resources = declare_offline(lambda: declare_platform(with_ingresses=False), project="ml-platform", stack="unit").resources
    prices = PriceTable.load().with_live(on_demand, spot)
    result = estimate(resources, CostSettings(), stack="unit", prices=prices, as_of=date(2026, 11, 28))
    (pool,) = [p for p in result.pools if p.pool == "general"]
    # 2 on-demand at $1/h and 2 spot at $0.5/h, plus 4 root volumes from the snapshot.
    volumes = 4 * 50 * PriceTable.load().service("ebs_gp3_storage")
    assert pool.monthly_usd == pytest.approx(730 * (2 * 1.0 + 2 * 0.5) + volumes)
    assert result.price_source == "live + snapshot"


def test_without_credentials_the_cli_warns_and_uses_the_snapshot(monkeypatch, capsys, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["cost", "dev", "--live-prices"]) == 0
    captured = capsys.readouterr()
    assert "needs AWS credentials" in captured.err
    assert "prices: snapshot" in captured.out
