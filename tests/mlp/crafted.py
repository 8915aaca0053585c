"""A slice of the platform declared with the real SDK classes under the recording mocks, in the
shapes issues 3-6 declare (worker pool ASG on a launch template, managed system pool, search
domain, a service with HPA and Ingresses), so the pricing rules see inputs exactly as the engine
hands them over. Tests vary it through keyword arguments."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.nodes.placement import POOL_LABEL, SPOT_TAINT, SYSTEM_TAINT, toleration_for
from infra.tags import REQUIRED_TAG_KEYS
from mlp.declared import DeclaredResource

TAGS = {key: f"{key}-value" for key in REQUIRED_TAG_KEYS}
WORKER_TYPES = ("m6i.xlarge", "m6a.xlarge", "m5.xlarge")


def declare_platform(
    *,
    desired: int = 4,
    max_size: int = 10,
    on_demand_base: int = 1,
    on_demand_percentage: int = 25,
    worker_volume_gb: int = 50,
    system_desired: int = 2,
    search_version: str = "OpenSearch_2.11",
    api_replicas_min: int = 3,
    with_ingresses: bool = True,
) -> None:
    provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))
    on_aws = pulumi.ResourceOptions(provider=provider)
    for suffix in "abc":
        aws.ec2.Subnet(
            f"public-{suffix}",
            vpc_id="vpc-1",
            cidr_block="10.0.0.0/24",
            tags={"kubernetes.io/role/elb": "1"},
            opts=on_aws,
        )
    launched_tags = [
        aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=TAGS)
        for kind in ("instance", "volume", "network-interface")
    ]
    template = aws.ec2.LaunchTemplate(
        "workers-lt",
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=worker_volume_gb, volume_type="gp3", encrypted="true"
                ),
            )
        ],
        tag_specifications=launched_tags,
        opts=on_aws,
    )
    aws.autoscaling.Group(
        "workers-asg",
        desired_capacity=desired,
        min_size=min(2, desired),
        max_size=max_size,
        vpc_zone_identifiers=["subnet-1"],
        mixed_instances_policy=aws.autoscaling.GroupMixedInstancesPolicyArgs(
            instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                on_demand_base_capacity=on_demand_base,
                on_demand_percentage_above_base_capacity=on_demand_percentage,
                spot_allocation_strategy="price-capacity-optimized",
            ),
            launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                    launch_template_id=template.id, version="$Latest"
                ),
                overrides=[
                    aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t)
                    for t in WORKER_TYPES
                ],
            ),
        ),
        tags=[
            aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
            for k, v in {**TAGS, f"k8s.io/cluster-autoscaler/node-template/label/{POOL_LABEL}": "general"}.items()
        ],
        opts=on_aws,
    )
    aws.eks.NodeGroup(
        "system",
        cluster_name="mlp",
        node_role_arn="arn:aws:iam::123456789012:role/node",
        subnet_ids=["subnet-1"],
        instance_types=["m6i.large"],
        capacity_type="ON_DEMAND",
        disk_size=30,
        labels={POOL_LABEL: "system"},
        taints=[aws.eks.NodeGroupTaintArgs(key=SYSTEM_TAINT["key"], value="true", effect="NO_SCHEDULE")],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=system_desired, min_size=2, max_size=3),
        opts=on_aws,
    )
    aws.opensearch.Domain(
        "search",
        domain_name="mlp-unit-search",
        engine_version=search_version,
        cluster_config=aws.opensearch.DomainClusterConfigArgs(
            instance_type="r6g.large.search",
            instance_count=3,
            dedicated_master_enabled=True,
            dedicated_master_type="m6g.large.search",
            dedicated_master_count=3,
            zone_awareness_enabled=True,
        ),
        ebs_options=aws.opensearch.DomainEbsOptionsArgs(ebs_enabled=True, volume_size=100, volume_type="gp3"),
        opts=on_aws,
    )

    cluster = k8s.Provider("k8s", kubeconfig="{}")
    on_k8s = pulumi.ResourceOptions(provider=cluster)
    spot_ok = [toleration_for(SPOT_TAINT)]
    _deployment("api", replicas=1, cpu="1", memory="2Gi", tolerations=spot_ok, opts=on_k8s)
    _deployment("ranker", replicas=2, cpu="500m", memory="6Gi", tolerations=spot_ok, opts=on_k8s)
    _deployment("pinned", replicas=1, cpu="250m", memory="256Mi", selector={POOL_LABEL: "gpu"}, opts=on_k8s)
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "api-hpa",
        metadata={"name": "api", "namespace": "ml"},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
            "minReplicas": api_replicas_min,
            "maxReplicas": 8,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
        opts=on_k8s,
    )
    if with_ingresses:
        for name, group, scheme in (
            ("api-ing", "public", "internet-facing"),
            ("ranker-ing", "public", "internet-facing"),
            ("admin-ing", None, "internal"),
        ):
            annotations = {"alb.ingress.kubernetes.io/scheme": scheme}
            if group:
                annotations["alb.ingress.kubernetes.io/group.name"] = group
            k8s.networking.v1.Ingress(
                name,
                metadata={"name": name, "namespace": "ml", "annotations": annotations},
                spec={"ingressClassName": "alb", "defaultBackend": {"service": {"name": name, "port": {"number": 80}}}},
                opts=on_k8s,
            )


def _deployment(name: str, *, replicas: int, cpu: str, memory: str, opts: pulumi.ResourceOptions, tolerations: Any = None, selector: Any = None) -> None:
    pod_spec: dict[str, Any] = {
        "containers": [{"name": name, "image": "example", "resources": {"requests": {"cpu": cpu, "memory": memory}}}],
    }
    if tolerations:
        pod_spec["tolerations"] = tolerations
    if selector:
        pod_spec["nodeSelector"] = selector
    k8s.apps.v1.Deployment(
        name,
        metadata={"name": name, "namespace": "ml"},
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        },
        opts=opts,
    )


def resource(type_: str, name: str, inputs: dict[str, Any] | None = None, *, parent: str | None = None, provider: str | None = None) -> DeclaredResource:
    """A hand-made declared resource, for shapes the SDK cannot declare under mocks (remote
    components) or deliberately broken ones."""
    return DeclaredResource(
        urn=f"urn:pulumi:unit::ml-platform::{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        provider=provider,
        custom=not type_.startswith("mlplatform:"),
        inputs=inputs or {},
    )


def provider_with_default_tags(tags: dict[str, str]) -> DeclaredResource:
    return resource("pulumi:providers:aws", "aws", {"defaultTags": json.dumps({"tags": tags})})
