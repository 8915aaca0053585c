"""The cost-posture checks for what Karpenter launches, over NodePool and EC2NodeClass objects.

Karpenter's capacity is declared as Kubernetes objects, not as Auto Scaling groups and launch
templates, so the guardrails (`mlp.guardrails`) and the policy pack (`spot-pools-diversified`)
read these instead: a NodePool must be bounded (`spec.limits` on cpu and memory: without them it
grows as far as pending pods ask), a spot NodePool must admit at least the platform's floor of
instance types, and an EC2NodeClass must put the cost tags on what it launches (`spec.tags`:
instances, volumes, network interfaces). Pure functions over anything with `urn`, `type` and
`inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlp.wording import plural

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
BOUNDED_RESOURCES = ("cpu", "memory")
def _spec(resource: Any) -> Mapping[str, Any]:
    spec = resource.inputs.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _requirements(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    template = spec.get("template") if isinstance(spec.get("template"), Mapping) else {}
    template_spec = template.get("spec") if isinstance(template.get("spec"), Mapping) else {}
    return [r for r in template_spec.get("requirements") or [] if isinstance(r, Mapping)]


def capacity_types(resource: Any) -> set[str]:
    """What a NodePool may buy, from its `karpenter.sh/capacity-type In [...]` requirement.
    Without one (or with another operator) it is read as possibly spot: the guardrail then holds
    it to the spot floor rather than trust a default."""
    for requirement in _requirements(_spec(resource)):
        if requirement.get("key") == "karpenter.sh/capacity-type":
            if requirement.get("operator") == "In":
                return {str(v) for v in requirement.get("values") or []}
            break
    return {"spot", "on-demand"}


def unbounded_node_pools(resources: Sequence[Any]) -> list[tuple[str, str]]:
    """(urn, message) for each NodePool without a cpu and memory limit."""
    findings = []
    for resource in resources:
        if resource.type != NODEPOOL:
            continue
        limits = _spec(resource).get("limits")
        limits = limits if isinstance(limits, Mapping) else {}
        absent = [key for key in BOUNDED_RESOURCES if not str(limits.get(key) or "").strip()]
        if absent:
            findings.append(
                (
                    resource.urn,
                    (
                        f"NodePool has no limit on {', '.join(absent)} (set spec.limits): "
                        "it grows as far as pending pods ask"
                    ),
                )
            )
    return findings


def narrow_spot_node_pool(resource: Any, floor: int) -> str | None:
    """Why a spot NodePool is not diversified enough, or None."""
    if resource.type != NODEPOOL or "spot" not in capacity_types(resource):
        return None
    requirements = _requirements(_spec(resource))
    # Attribute requirements (instance family, category, generation, size) only narrow what an
    # `In` list of type names admits, so that list alone bounds the pool's diversity: a family
    # requirement beside one named type is still one type.
    named = [r for r in requirements if r.get("key") == "node.kubernetes.io/instance-type"]
    if not named:
        return None  # no type requirement: every type the other requirements allow
    admitted = set()
    for requirement in named:
        if requirement.get("operator") == "In":
            admitted |= {str(v) for v in requirement.get("values") or []}
        else:
            return None  # NotIn/Exists leave the rest of the catalogue
    if len(admitted) < floor:
        return (
            f"spot NodePool admits {plural(len(admitted), 'instance type')} "
            f"({', '.join(sorted(admitted))}); "
            f"admit at least {floor} in its node.kubernetes.io/instance-type requirement"
        )
    return None


def untagged_node_classes(
    resources: Sequence[Any], required: Sequence[str]
) -> list[tuple[str, str]]:
    """(urn, message) for each EC2NodeClass whose `spec.tags` lack a required cost tag: Karpenter
    launches the instances, so the provider's default tags never reach them."""
    findings = []
    for resource in resources:
        if resource.type != NODECLASS:
            continue
        tags = _spec(resource).get("tags")
        tags = tags if isinstance(tags, Mapping) else {}
        absent = [key for key in required if not str(tags.get(key) or "").strip()]
        if absent:
            findings.append(
                (
                    resource.urn,
                    (
                        f"EC2NodeClass spec.tags lack {', '.join(absent)}: "
                        "its instances, volumes and interfaces go untagged"
                    ),
                )
            )
    return findings
