from components.interruption.drain_budget import (
    DETECTION_MARGIN_SECONDS,
    SPOT_NOTICE_SECONDS,
    DrainBudget,
)


def test_a_budget_that_fits_the_notice_has_no_problem():
    budget = DrainBudget(node_drain_seconds=SPOT_NOTICE_SECONDS - DETECTION_MARGIN_SECONDS, pod_grace_seconds=-1)
    assert budget.handler_problem() is None
    assert budget.pod_problem(termination_grace_seconds=45, pre_stop_seconds=10) is None


def test_node_drain_longer_than_the_notice_is_refused():
    problem = DrainBudget(node_drain_seconds=120, pod_grace_seconds=-1).handler_problem()
    assert problem and "does not fit the 120s spot notice" in problem


def test_pod_grace_longer_than_node_drain_is_refused():
    assert DrainBudget(node_drain_seconds=90, pod_grace_seconds=100).handler_problem()


def test_pod_that_outlives_the_drain_is_refused():
    budget = DrainBudget(node_drain_seconds=90, pod_grace_seconds=60)
    assert budget.pod_problem(termination_grace_seconds=60, pre_stop_seconds=5) is None
    problem = budget.pod_problem(termination_grace_seconds=75, pre_stop_seconds=5)
    assert problem and "drain budget of 60s" in problem


def test_prestop_longer_than_grace_is_refused():
    problem = DrainBudget(node_drain_seconds=90, pod_grace_seconds=-1).pod_problem(30, 40)
    assert problem and "preStop" in problem
