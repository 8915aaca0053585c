"""Deployments sized and covered by disruption budgets.

Each rule of `mlplatform_policy.rules.workloads` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import APP, FULL, Cases, case_tests, container, deployment, pdb, resource

CASES: Cases = {
    "deployment-resources": {
        "no-limits": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, None)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
        ),
        "no-cpu-request": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container({"memory": "1Gi"}, FULL)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
        ),
        "no-memory-limit": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, {"cpu": "500m"})], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, {"memory": "512Mi"})], APP))],
        ),
    },
    "deployment-disruption-budget": {
        "no-budget": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}), name="pdb")],
        ),
        "budget-in-another-namespace": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}, "default"), name="pdb")],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}, "ml"), name="pdb")],
        ),
        "budget-selects-other-pods": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchExpressions": [
                 {"key": "app.kubernetes.io/name", "operator": "In", "values": ["recommendations"]}]}), name="pdb")],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchExpressions": [
                 {"key": "app.kubernetes.io/name", "operator": "In", "values": ["autocomplete"]}]}), name="pdb")],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
