"""IMDSv2, spot diversity, launch-before-terminate replacements, capacity fit.

Each rule of `mlplatform_policy.rules.capacity` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import (
    SPOT_TYPES,
    Cases,
    case_tests,
    launch_template,
    resource,
    spot_deployment,
    worker_group,
)

CASES: Cases = {
    "imdsv2-required": {
        "launch-template": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(metadataOptions={"httpTokens": "optional"}))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "launch-template-unset": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(metadataOptions=None))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
    },
    "spot-pools-diversified": {
        "three-types": (
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large"], 0.0))],
            [resource("aws:autoscaling/group:Group",
                      worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0))],
        ),
        "mostly-on-demand-still-carries-spot": (
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large"], 80.0))],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large"], 100.0))],
        ),
        # Single-GPU shapes: the same 3-type floor config validation applies.
        "two-gpu-types": (
            [resource("aws:autoscaling/group:Group", worker_group(["g6.xlarge", "g5.xlarge"], 0.0))],
            [resource("aws:autoscaling/group:Group", worker_group(["g6.xlarge", "g5.xlarge", "g4dn.xlarge"], 0.0))],
        ),
    },
    "replacements-launch-first": {
        "aws-defaults": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, instanceRefresh={"strategy": "Rolling"}))],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0))],
        ),
        "refresh-preferences-at-90": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0,
                instanceRefresh={"strategy": "Rolling", "preferences": {"minHealthyPercentage": 90.0}}))],
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0,
                instanceRefresh={"strategy": "Rolling", "preferences": {
                    "minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0}}))],
        ),
    },
    "capacity-fit": {
        "spot-only-pods-above-the-ceiling": (
            [resource("aws:autoscaling/group:Group", worker_group(SPOT_TYPES, 0.0, maxSize=2.0), name="pool-spot-asg"),
             resource("aws:ec2/launchTemplate:LaunchTemplate", {}, name="pool-spot-lt"),
             resource("kubernetes:apps/v1:Deployment", spot_deployment(replicas=12.0), name="ranker")],
            [resource("aws:autoscaling/group:Group", worker_group(SPOT_TYPES, 0.0, maxSize=12.0), name="pool-spot-asg"),
             resource("aws:ec2/launchTemplate:LaunchTemplate", {}, name="pool-spot-lt"),
             resource("kubernetes:apps/v1:Deployment", spot_deployment(replicas=12.0), name="ranker")],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
