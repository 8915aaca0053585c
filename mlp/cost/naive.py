"""The baseline the platform is measured against (`mlp cost --naive`): the same services
deployed the common default way. Every assumption, and where "default" comes from:

- fixed replicas, no autoscaling: each Deployment runs its peak (the HPA's `maxReplicas`, the
  count the stack says it must reach) all month. Without the cluster autoscaler an Auto Scaling
  group stays at its desired capacity (EC2 Auto Scaling's capacity limits,
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html: the group
  keeps the desired capacity, which minSize and maxSize only bound), so the assumption is about who sets that figure: a hand-sized deployment sets it to
  what its fixed replicas need, so each pool is held at the nodes its peak pods pack to (the same
  packing the estimate uses), at least the pool's `minSize`. A pool nothing lands on stays at
  `minSize`, and a pool's `maxSize` does not cap the hand-set figure (a person sizing for peak
  raises the ceiling with it). Holding every pool at `maxSize` would price capacity no workload
  asks for and the comparison would measure an arbitrary ceiling, not a posture;
- on-demand only: no spot, so spot-asking services run on the same pools bought on demand;
- one load balancer per service: each Ingress gets its own ALB, the AWS Load Balancer
  Controller's behaviour without `alb.ingress.kubernetes.io/group.name` ("IngressGroup",
  https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#group.name);
- a NAT gateway per zone and no VPC interface endpoints (their traffic goes through NAT);
- the default search sizing: AWS's own provisioning guide for OpenSearch Service
  (aws/agent-toolkit-for-aws, `skills/specialized-skills/analytics-skills/amazon-opensearch-service/references/provisioning-domain-provision.md`):
  for production `r7g.large.search` with 3 data nodes and 3 dedicated masters (the masters'
  type is not named there: `m7g.large.search`, this project's default), and for development a
  single `t3.medium.search` with a 100 GiB gp3 volume, the volume the guide's command sets for
  both. A zone-aware stack gets the production sizing, a single-zone one the development one.

Nothing is tuned to a result: the rewrites above are all there is. It rewrites the declared
inventory and its usage assumptions, then prices them with the same rules, so the ratio
compares postures, not pricing methods.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

from components.nodes.placement import CAPACITY_LABEL
from infra.settings.cost import CostSettings
from mlp.cost.model import Resource
from mlp.cost.pools import ASG, LAUNCH_TEMPLATE, MANAGED_NODE_GROUPS
from mlp.cost.workloads import DEPLOYMENT
from mlp.mocks import DeclaredResource

NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SUBNET = "aws:ec2/subnet:Subnet"
PRIVATE_ROLE_TAG = "kubernetes.io/role/internal-elb"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GROUP_ANNOTATION = "alb.ingress.kubernetes.io/group.name"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONTROLLER_CHART = "aws-load-balancer-controller"
DOMAIN = "aws:opensearch/domain:Domain"
DEFAULT_VOLUME_GIB = 100
PRODUCTION_SEARCH = {"instanceType": "r7g.large.search", "instanceCount": 3, "dedicatedMasterEnabled": True,
                     "dedicatedMasterCount": 3, "dedicatedMasterType": "m7g.large.search"}
DEVELOPMENT_SEARCH = {"instanceType": "t3.medium.search", "instanceCount": 1, "dedicatedMasterEnabled": False}

BASELINE = "the same services deployed the common default way"
"""What the naive posture is, in the words every rendering of it uses."""
BASELINE_HEADER = (
    f"baseline: {BASELINE} - fixed replicas at each HPA's "
    "maxReplicas and each pool at what those pods pack to, at least minSize (no autoscaling, sized by hand for peak), on-demand only, one ALB per Ingress, a NAT "
    "gateway per zone and no interface endpoints, AWS's default search sizing (3 x r7g.large + 3 "
    "masters when zone-aware, else 1 x t3.medium; 100 GiB); assumptions and sources in mlp/cost/naive.py"
)


def _rewrite(resource: Resource, inputs: dict) -> DeclaredResource:
    return DeclaredResource(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        parent=resource.parent,
        provider=getattr(resource, "provider", None),
        custom=getattr(resource, "custom", True),
        inputs=inputs,
    )


def _drop_capacity_affinity(deployment: dict) -> None:
    """In the naive posture every pool is on-demand, so a service that asks for spot-bearing
    capacity runs on the same pools bought on demand: drop its capacity-type requirement and
    preference (pool and system-pool rules stay)."""
    affinity = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        term["matchExpressions"] = [e for e in term.get("matchExpressions") or [] if e.get("key") != CAPACITY_LABEL]
    preferred = node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    if preferred:
        node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            p
            for p in preferred
            if not any(e.get("key") == CAPACITY_LABEL for e in (p.get("preference") or {}).get("matchExpressions") or [])
        ]


def naive_posture(resources: Sequence[Resource], usage: CostSettings) -> tuple[list[DeclaredResource], CostSettings]:
    """(resources, usage) of the naive posture; workloads are then priced at peak replicas."""
    result: list[DeclaredResource] = []
    endpoints = 0
    for resource in resources:
        inputs = copy.deepcopy(resource.inputs)
        if resource.type == ASG:
            # Held at minSize here; the estimate raises it to what the peak pods pack to.
            inputs["desiredCapacity"] = int(inputs.get("minSize") or 0)
            policy = inputs.get("mixedInstancesPolicy")
            if policy:
                policy["instancesDistribution"] = {
                    **(policy.get("instancesDistribution") or {}),
                    "onDemandBaseCapacity": 0,
                    "onDemandPercentageAboveBaseCapacity": 100,
                }
        elif resource.type in MANAGED_NODE_GROUPS:
            scaling = inputs.setdefault("scalingConfig", {})
            scaling["desiredSize"] = int(scaling.get("minSize") or 0)
            inputs["capacityType"] = "ON_DEMAND"
        elif resource.type == LAUNCH_TEMPLATE:
            inputs.pop("instanceMarketOptions", None)
        elif resource.type == DEPLOYMENT:
            _drop_capacity_affinity(inputs)
        elif resource.type == INGRESS:
            annotations = (inputs.get("metadata") or {}).get("annotations") or {}
            annotations.pop(GROUP_ANNOTATION, None)
        elif resource.type == HELM_RELEASE and inputs.get("chart") == CONTROLLER_CHART:
            # The group may also come from the class's IngressClassParams (mlp.cost.ingresses).
            params = ((inputs.get("values") or {}).get("ingressClassParams") or {}).get("spec") or {}
            params.pop("group", None)
        elif resource.type == DOMAIN:
            cluster = inputs.setdefault("clusterConfig", {})
            default = PRODUCTION_SEARCH if cluster.get("zoneAwarenessEnabled") else DEVELOPMENT_SEARCH
            cluster.update(default)
            inputs["ebsOptions"] = {**(inputs.get("ebsOptions") or {}), "volumeSize": DEFAULT_VOLUME_GIB}
        elif resource.type == ENDPOINT and inputs.get("vpcEndpointType") == "Interface":
            endpoints += 1
            continue  # no endpoints: their traffic goes through NAT instead
        result.append(_rewrite(resource, inputs))

    nats = [r for r in result if r.type == NAT]
    zones = [r for r in result if r.type == SUBNET and PRIVATE_ROLE_TAG in (r.inputs.get("tags") or {})]
    if nats:
        template = nats[0]
        for index in range(len(nats), len(zones)):
            for type_, suffix in ((NAT, ""), (EIP, "-eip")):
                name = f"naive-nat-{index}{suffix}"
                result.append(
                    replace(
                        template,
                        type=type_,
                        name=name,
                        urn=template.urn.rsplit("::", 1)[0].rsplit("$", 1)[0] + f"${type_}::{name}",
                        inputs={"domain": "vpc"} if type_ == EIP else dict(template.inputs),
                    )
                )
    extra_gb = endpoints * usage.interface_endpoint_gb_per_month
    return result, usage.model_copy(update={"nat_gb_per_month": usage.nat_gb_per_month + extra_gb})
