"""How slim a stack is: pods at minimum scale, what they request, and how they pack onto the
instance types of the stack's node pools. Read from the inventory alone (what the program
declares), so it measures the program rather than restating its config."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from components.placement import SYSTEM_TAINT
from mlp.plan import Inventory

INSTANCE_TABLE = Path(__file__).resolve().parent.parent / "data" / "pricing" / "ec2_ondemand_us_east_1.csv"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
AUTOSCALER = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SERVICE_COMPONENT = "mlplatform:services:MlService"
WORKER_GROUP = "aws:autoscaling/group:Group"
SYSTEM_GROUPS = ("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup")

# Kubernetes quantity suffixes (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/).
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def quantity(value: str | float) -> float:
    """A Kubernetes quantity (`250m`, `512Mi`, `1`, `1.5`) in base units (cores, bytes)."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(value.strip())
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    number, suffix = float(match.group(1)), match.group(2) or ""
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


@dataclass(frozen=True)
class InstanceShape:
    instance_type: str
    vcpu: int
    memory_gib: float

    @property
    def millicores(self) -> int:
        return self.vcpu * 1000

    @property
    def memory_mib(self) -> float:
        return self.memory_gib * 1024


def load_instance_table(path: Path = INSTANCE_TABLE) -> dict[str, InstanceShape]:
    with path.open(newline="") as handle:
        return {
            row["instance_type"]: InstanceShape(row["instance_type"], int(row["vcpu"]), float(row["memory_gib"]))
            for row in csv.DictReader(handle)
        }


@dataclass(frozen=True)
class Workload:
    """A Deployment at its minimum scale."""

    namespace: str
    name: str
    pods: int
    cpu_millicores: float
    """Per pod."""
    memory_mib: float
    """Per pod."""
    on_system_pool: bool


@dataclass(frozen=True)
class Pool:
    name: str
    instance_types: tuple[str, ...]
    system: bool


@dataclass(frozen=True)
class Packing:
    pool: str
    shape: InstanceShape | None
    instance_type: str
    nodes: int | None
    """None when a pod does not fit one node of this type, or the type is not in the table."""
    cpu_percent: float
    memory_percent: float


@dataclass(frozen=True)
class Footprint:
    stack: str
    services: int
    workloads: tuple[Workload, ...]
    pools: tuple[Pool, ...]
    packings: tuple[Packing, ...]

    @property
    def pods(self) -> int:
        return sum(w.pods for w in self.workloads)

    @property
    def cpu_millicores(self) -> float:
        return sum(w.pods * w.cpu_millicores for w in self.workloads)

    @property
    def memory_mib(self) -> float:
        return sum(w.pods * w.memory_mib for w in self.workloads)


def _requests(pod_spec: dict) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in pod_spec.get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += quantity(requests.get("cpu", 0)) * 1000
        memory += quantity(requests.get("memory", 0)) / 2**20
    return cpu, memory


def workloads(inventory: Inventory) -> list[Workload]:
    """Every Deployment with the pods it runs at minimum scale: its HPA's minReplicas when an HPA
    targets it, else its `replicas` (1 when unset, the API default)."""
    minimums = {}
    for autoscaler in inventory.of_type(AUTOSCALER):
        metadata, spec = autoscaler.inputs.get("metadata") or {}, autoscaler.inputs.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        if target.get("kind") == "Deployment":
            minimums[(metadata.get("namespace", "default"), target.get("name"))] = int(spec.get("minReplicas", 1))
    found = []
    for deployment in inventory.of_type(DEPLOYMENT):
        metadata, spec = deployment.inputs.get("metadata") or {}, deployment.inputs.get("spec") or {}
        namespace, name = metadata.get("namespace", "default"), metadata.get("name", deployment.name)
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        pods = minimums.get((namespace, name), int(spec.get("replicas", 1)))
        cpu, memory = _requests(pod_spec)
        on_system = any(t.get("key") == SYSTEM_TAINT["key"] for t in pod_spec.get("tolerations") or [])
        found.append(Workload(namespace, name, pods, cpu, memory, on_system))
    return found


def pools(inventory: Inventory) -> list[Pool]:
    """Worker pools from Auto Scaling groups' mixed-instances overrides, the system pool from the
    managed node group's instance types. Groups without either are left out."""
    found = []
    for group in inventory.of_type(WORKER_GROUP):
        launch_template = ((group.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate")) or {}
        types = tuple(o["instanceType"] for o in launch_template.get("overrides") or [] if o.get("instanceType"))
        if types:
            found.append(Pool(group.name, types, system=False))
    for type_ in SYSTEM_GROUPS:
        for group in inventory.of_type(type_):
            types = tuple(group.inputs.get("instanceTypes") or ())
            if types:
                found.append(Pool(group.name, types, system=True))
    return found


def nodes_needed(pods: list[tuple[float, float]], shape: InstanceShape) -> int | None:
    """First-fit decreasing: nodes of `shape` that hold `pods` (cpu millicores, memory MiB) by
    their requests, against the instance's full vCPU and memory (before the kubelet's
    reservations and DaemonSets, so a lower bound). None when one pod alone does not fit."""
    capacity = (shape.millicores, shape.memory_mib)
    if any(cpu > capacity[0] or memory > capacity[1] for cpu, memory in pods):
        return None
    ordered = sorted(pods, key=lambda pod: max(pod[0] / capacity[0], pod[1] / capacity[1]), reverse=True)
    free: list[list[float]] = []
    for cpu, memory in ordered:
        for node in free:
            if node[0] >= cpu and node[1] >= memory:
                node[0] -= cpu
                node[1] -= memory
                break
        else:
            free.append([capacity[0] - cpu, capacity[1] - memory])
    return len(free)


def footprint(inventory: Inventory, table: dict[str, InstanceShape] | None = None) -> Footprint:
    table = load_instance_table() if table is None else table
    found = workloads(inventory)
    found_pools = pools(inventory)
    packings = []
    for pool in found_pools:
        pods = [(w.cpu_millicores, w.memory_mib) for w in found if w.on_system_pool == pool.system for _ in range(w.pods)]
        if not pods:
            continue
        total_cpu, total_memory = sum(p[0] for p in pods), sum(p[1] for p in pods)
        for instance_type in pool.instance_types:
            shape = table.get(instance_type)
            nodes = nodes_needed(pods, shape) if shape else None
            cpu_percent = 100 * total_cpu / (nodes * shape.millicores) if shape and nodes else 0.0
            memory_percent = 100 * total_memory / (nodes * shape.memory_mib) if shape and nodes else 0.0
            packings.append(Packing(pool.name, shape, instance_type, nodes, cpu_percent, memory_percent))
    return Footprint(
        stack=inventory.stack,
        services=len(inventory.of_type(SERVICE_COMPONENT)),
        workloads=tuple(found),
        pools=tuple(found_pools),
        packings=tuple(packings),
    )


def render(result: Footprint) -> str:
    headline = (
        f"footprint at minimum scale ({result.stack}): {result.pods} pods for {result.services} services, "
        f"requests {result.cpu_millicores / 1000:.2f} vCPU and {result.memory_mib / 1024:.2f} GiB"
    )
    lines = [headline]
    for workload in sorted(result.workloads, key=lambda w: (w.namespace, w.name)):
        lines.append(
            f"  {workload.namespace}/{workload.name}: {workload.pods} × "
            f"({workload.cpu_millicores:.0f}m, {workload.memory_mib:.0f}Mi)"
        )
    if not result.pools:
        lines.append("  packing: no node pool with known instance types in this stack")
    for packing in result.packings:
        if packing.shape is None:
            lines.append(f"  pool {packing.pool}: {packing.instance_type} not in {INSTANCE_TABLE.name}")
        elif packing.nodes is None:
            lines.append(f"  pool {packing.pool}: a pod does not fit one {packing.instance_type}")
        else:
            lines.append(
                f"  pool {packing.pool}: {packing.nodes} × {packing.instance_type} "
                f"({packing.shape.vcpu} vCPU, {packing.shape.memory_gib:g} GiB) at "
                f"{packing.cpu_percent:.0f}% CPU, {packing.memory_percent:.0f}% memory requested"
            )
    return "\n".join(lines)
