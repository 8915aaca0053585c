"""The shipped price tables and the pool diversification rules built on them."""

import csv

import pytest

from components.nodes.instance_catalog import (
    GPU_TABLE,
    MIN_SPOT_INSTANCE_TYPES,
    ONDEMAND_TABLE,
    SPOT_TABLE,
    instance_catalog,
    pool_type_problems,
)

SIX_LARGE = ["m6a.large", "m7a.large", "m6i.large", "m5a.large", "m5.large", "m7i.large"]


def test_tables_keep_their_source_columns_and_agree():
    with ONDEMAND_TABLE.open() as handle:
        assert csv.DictReader(handle).fieldnames == ["instance_type", "vcpu", "memory_gib", "usd_per_hour"]
    with SPOT_TABLE.open() as handle:
        assert csv.DictReader(handle).fieldnames == ["instance_type", "savings_over_ondemand_pct", "interruption_bucket"]
    with GPU_TABLE.open() as handle:
        gpu_rows = list(csv.DictReader(handle))
    catalog = instance_catalog()
    assert len(catalog) > 150
    missing_spot = [name for name, t in catalog.items() if t.spot_savings_pct is None]
    assert not missing_spot, f"types without spot advisor data: {missing_spot}"
    assert {row["instance_type"] for row in gpu_rows} <= set(catalog)


def test_shape_price_and_architecture_come_from_the_tables():
    m6i = instance_catalog()["m6i.xlarge"]
    assert (m6i.vcpu, m6i.memory_gib, m6i.gpu_count) == (4, 16.0, 0)
    assert 0 < m6i.spot_usd_per_hour < m6i.usd_per_hour
    assert instance_catalog()["m7g.large"].architecture == "arm64"
    assert instance_catalog()["g5.xlarge"].architecture == "x86_64"
    assert instance_catalog()["g5.xlarge"].gpu_count == 1


def test_six_same_shape_types_make_a_valid_spot_pool():
    assert pool_type_problems(SIX_LARGE, carries_spot=True) == []


def test_a_spot_pool_with_three_types_is_refused():
    (problem,) = pool_type_problems(SIX_LARGE[:3], carries_spot=True)
    assert f"at least {MIN_SPOT_INSTANCE_TYPES}" in problem and "got 3" in problem


def test_an_on_demand_pool_may_be_narrow():
    assert pool_type_problems(["m6i.large"], carries_spot=False) == []


def test_types_of_different_shapes_are_refused():
    problems = pool_type_problems(["m6a.large", "m6i.large", "m5.large", "m6i.xlarge"], carries_spot=True)
    assert any("differ in vCPU, memory" in p and "m6i.xlarge 4 vCPU/16 GiB" in p for p in problems), problems
    # Same vCPU, different memory (compute vs general purpose).
    problems = pool_type_problems(["c6i.large", "c6a.large", "m6i.large", "m6a.large"], carries_spot=True)
    assert any("differ in vCPU, memory" in p for p in problems), problems


@pytest.mark.parametrize(
    ("types", "fragment"),
    [
        (["m6i.large", "m6a.large", "m5.large", "z9.large"], "unknown instance type(s) z9.large"),
        (["m7g.large", "m6a.large", "m6i.large", "m5.large"], "m7g.large are not x86_64"),
        (["m6i.large", "m6i.large", "m6a.large", "m5.large"], "more than once"),
        (["g5.xlarge", "m6i.xlarge", "m6a.xlarge", "m5.xlarge"], "carry GPUs"),
    ],
)
def test_bad_type_lists_are_refused(types, fragment):
    problems = pool_type_problems(types, carries_spot=True)
    assert any(fragment in p for p in problems), problems


def test_gpu_pools_need_gpu_types_and_three_of_them_for_spot():
    assert pool_type_problems(["g6.xlarge", "g5.xlarge", "g4dn.xlarge"], carries_spot=True, gpu=True) == []
    assert any("at least 3" in p for p in pool_type_problems(["g6.xlarge", "g5.xlarge"], carries_spot=True, gpu=True))
    assert any("needs GPU types" in p for p in pool_type_problems(["m6i.xlarge"], carries_spot=False, gpu=True))
