"""How an estimate reads: the header says which posture was priced, and counts are English."""

from __future__ import annotations

from datetime import date

from mlp.cost import render
from mlp.cost.model import CostItem, Estimate, PoolUsage

BASELINE = "naive posture (the baseline: the same services deployed the common default way)"


def _estimate(posture: str = "configured") -> Estimate:
    item = CostItem(urn="urn:a", type="t", name="a", component="cluster", monthly_usd=50.0, basis="b")
    usage = PoolUsage(pool="system", nodes=1, nodes_needed=1, monthly_usd=50.0, requested_usd=10.0)
    return Estimate(stack="dev", region="us-east-1", items=(item,), pools=(usage,), as_of=date(2026, 11, 28),
                    posture=posture)


def test_the_naive_posture_says_so_at_the_top():
    naive = _estimate("naive")
    assert render.table(naive).splitlines()[0].startswith(f"dev, {BASELINE}: monthly estimate in USD")
    assert render.markdown(naive).splitlines()[0] == f"### Cost estimate: `dev`, {BASELINE}"
    assert naive.to_json()["posture"] == "naive"


def test_the_estimate_as_configured_keeps_its_header():
    estimate = _estimate()
    assert render.table(estimate).splitlines()[0].startswith("dev: monthly estimate in USD (us-east-1")
    assert render.markdown(estimate).splitlines()[0] == "### Cost estimate: `dev`"
    assert estimate.to_json()["posture"] == "configured"
    assert "naive" not in render.table(estimate) + render.markdown(estimate)


def test_a_pool_of_one_node_is_one_node():
    assert "  system: 1 node (requests need 1), 50.00" in render.table(_estimate())
