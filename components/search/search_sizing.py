"""The search domain's size, derived from the index it serves, by AWS's sizing guidance.

Pure functions on plain values; `SearchSettings` (infra/settings/search.py) turns the result into
the `SearchSizing` the `SearchDomain` component declares, and `mlp cost` prints the same steps and
prices the smallest domain that holds the index (its floor).

Rules, each with its source:
- Storage: source data × (1 + replicas) × 1.45 = minimum storage requirement. 1.45 is AWS's
  simplification of × 1.1 (indexing overhead) / 0.95 (Linux reserved space) / 0.8 (OpenSearch
  Service's 20 % reserve). "Sizing Amazon OpenSearch Service domains" → "Calculating storage
  requirements", https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp-storage.html
  (also https://docs.aws.amazon.com/opensearch-service/latest/developerguide/sizing-domains.html).
- Primary shards: (source data + room to grow) × 1.1 / desired shard size, with shards of
  10-30 GiB for search workloads; at most 25 shards per GiB of Java heap. "Choosing the number of
  shards", https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp-sharding.html,
  and the OpenSearch Lens AOSPERF01-BP01,
  https://docs.aws.amazon.com/wellarchitected/latest/amazon-opensearch-service-lens/aosperf01-bp01.html.
  A small index is one primary shard: a shard under 10 GiB is already below the range.
- Java heap: half the instance's memory, at most 32 GiB ("Choosing instance types and testing",
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp-instances.html).
- Query capacity: a query runs once on each primary shard (on one copy), and a CPU-bound
  shard-query holds one vCPU for its service time, so a node serves vCPU × 1000 / queryMillis
  shard-queries a second. OpenSearch's search thread pool has int(vCPU × 3 / 2) + 1 threads per
  node (https://docs.opensearch.org/latest/install-and-configure/configuring-opensearch/thread-pool-settings/),
  but the threads beyond the vCPUs are oversubscription (they overlap I/O waits, not compute),
  so they are not counted as capacity. `queryMillis` is an assumption until replaced by the
  workload's measured p50 service time (search slow log `took`). The nodes left after losing one
  zone must carry the stated peak on their own.
- Dedicated masters: AWS recommends three for production domains ("Dedicated master nodes",
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html);
  checkov's CKV_AWS_318 and CKV2_AWS_59 check for them. What they buy is a quorum that survives
  a lost zone. With three zones the data nodes are that quorum already (each zone holds a third
  of the master-eligible nodes, so a lost zone leaves two thirds, a majority), so the sizing adds
  none; with two zones the data nodes cannot (half is not a majority), so it adds three; one zone
  is lost with its zone either way. `dedicatedMasterCount` overrides this choice. Where the masters
  go: in a Region with three or more zones, OpenSearch Service spreads three dedicated masters over
  three zones even for a two-zone domain, so a lost zone leaves two of three; in a two-zone Region
  one zone holds two and losing it loses the quorum ("Availability zone disruptions",
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html).
  The Region's zone count is an input (`region_zones`; us-east-1 has six, use1-az1 to use1-az6,
  https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
- Volume: each data node's gp3 volume holds its share of the storage, within the bounds
  OpenSearch Service sets per instance type ("EBS volume size quotas",
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource;
  recorded in data/opensearch/ebs_volume_limits.csv, read by search_volume_limits.py). A type
  whose largest volume cannot hold a node's share needs more nodes or another type; a type with
  no recorded limits is never chosen.
- Zones: each zone holds the same number of data nodes, and zone awareness puts the copies of a
  shard in different zones, so a domain over Z zones needs at least Z - 1 replicas to keep a
  copy after losing a zone (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from components.search.search_volume_limits import (
    VolumeLimits,
    no_limits_message,
    volume_limits_table,
)

PRICING_DIR = Path(__file__).resolve().parents[2] / "data" / "pricing"
PRICE_TABLE = PRICING_DIR / "services_us_east_1.csv"
SHAPE_TABLE = PRICING_DIR / "opensearch_instances_us_east_1.csv"
PRICE_PREFIX = "opensearch_"

STORAGE_FACTOR = 1.45
INDEXING_OVERHEAD = 0.10
SHARD_TARGET_GIB = 30  # the top of the 10-30 GiB range for search: the fewest shards
SHARDS_PER_HEAP_GIB = 25
HEAP_SHARE, HEAP_CAP_GIB = 0.5, 32
MAX_DATA_NODES = 80
US_EAST_1_ZONES = 6  # use1-az1 to use1-az6 (module docstring, "Dedicated masters")
GIB = 2**30


def _count(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` with its noun in the sizing's printed steps ("1 zone", "3 zones"). The same rule as
    `mlp.wording.plural`, which components cannot import (they sit below the tooling)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True)
class SearchInstanceType:
    name: str
    vcpu: int
    memory_gib: float
    usd_per_hour: float

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def burstable(self) -> bool:
        return self.family.startswith("t")

    @property
    def heap_gib(self) -> float:
        return min(self.memory_gib * HEAP_SHARE, HEAP_CAP_GIB)

    def shard_queries_per_second(self, query_millis: float) -> float:
        """CPU-bound capacity: each vCPU runs one shard-query at a time (module docstring)."""
        return self.vcpu * 1000 / query_millis


@cache
def search_instance_catalog() -> Mapping[str, SearchInstanceType]:
    """Every OpenSearch type the price table prices, with its shape (SOURCES.md says from where)."""
    with PRICE_TABLE.open(newline="") as handle:
        prices = {
            row["item"].removeprefix(PRICE_PREFIX): float(row["usd"])
            for row in csv.DictReader(handle)
            if row["item"].startswith(PRICE_PREFIX) and row["item"].endswith(".search")
        }
    with SHAPE_TABLE.open(newline="") as handle:
        shapes = {row["instance_type"]: row for row in csv.DictReader(handle)}
    return {
        name: SearchInstanceType(name, int(shapes[name]["vcpu"]), float(shapes[name]["memory_gib"]), usd)
        for name, usd in prices.items()
        if name in shapes
    }


@dataclass(frozen=True, kw_only=True)
class SearchIndex:
    """What the autocomplete index holds and serves."""

    documents: int
    average_document_bytes: int
    replicas: int
    queries_per_second: float
    query_millis: float
    growth_factor: float = 1.0
    """Room to grow, as a multiple of today's documents (1.0: none)."""

    @property
    def source_gib(self) -> float:
        return self.documents * self.average_document_bytes * self.growth_factor / GIB


@dataclass(frozen=True, kw_only=True)
class DomainPlan:
    """A sized domain and the arithmetic that led to it."""

    instance_type: str
    instance_count: int
    zones: int
    volume_size_gib: int
    primary_shards: int
    replicas: int
    dedicated_master_count: int
    steps: tuple[str, ...]
    zone_loss: str

    @property
    def shards_per_node(self) -> int:
        return math.ceil(self.primary_shards * (1 + self.replicas) / self.instance_count)


class SizingError(ValueError):
    """The stated index cannot be held as configured; `key` names the setting (camelCase)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _round_up(value: int, multiple: int) -> int:
    return max(multiple, math.ceil(value / multiple) * multiple)


def surviving_nodes(count: int, zones: int) -> int:
    """Data nodes left after losing one zone (all of them in a single-zone domain: a lost zone
    takes the domain with it, so there is nothing to size for)."""
    return count - count // zones if zones > 1 else count


def derived_master_count(zones: int) -> int:
    return 3 if zones == 2 else 0


def zone_loss_answer(zones: int, data_nodes: int, masters: int, replicas: int, region_zones: int = US_EAST_1_ZONES) -> str:
    """What happens when a zone is lost, for this arrangement, in a Region of `region_zones`."""
    if zones == 1:
        return (
            "one zone: losing it loses the domain until the zone returns; the index is rebuilt "
            "from its source or restored from the automated snapshot"
        )
    left = surviving_nodes(data_nodes, zones)
    copies = "a copy of every shard remains" if replicas >= zones - 1 else "some shards lose every copy"
    if masters:
        if zones == 2 and region_zones < 3:
            quorum = (
                f"{masters} dedicated masters over 2 zones in a two-zone Region: one zone holds two, and "
                "losing it loses the quorum, so writes and cluster changes stop until it returns"
            )
        else:
            spread = " (AWS spreads them over three of the Region's zones)" if zones == 2 else ""
            quorum = (
                f"{masters} dedicated masters, one per zone{spread}: losing a zone leaves "
                f"{masters - 1} of {masters}, a majority"
            )
    else:
        quorum = (
            f"no dedicated masters: the {data_nodes} data nodes are master-eligible and {left} of "
            f"{data_nodes} remain, "
            + ("a majority, so the cluster keeps its master" if left * 2 > data_nodes else "not a majority: the cluster stops")
        )
    return (
        f"{zones} zones: {quorum}; {left} data nodes serve on, {copies} (cluster yellow), and "
        "OpenSearch Service replaces the lost nodes"
    )


def plan_domain(
    index: SearchIndex,
    zones: int,
    *,
    serve_queries: bool = True,
    instance_type: str | None = None,
    instance_count: int | None = None,
    volume_size_gib: int | None = None,
    dedicated_master_count: int | None = None,
    region_zones: int = US_EAST_1_ZONES,
    catalog: Mapping[str, SearchInstanceType] | None = None,
    limits: Mapping[str, VolumeLimits] | None = None,
) -> DomainPlan:
    """The cheapest domain over `zones` zones that holds `index` (and, with `serve_queries`,
    serves its peak after losing a zone). Explicit arguments pin a choice; the plan then checks
    that the choice still holds the index and raises `SizingError` naming it otherwise."""
    catalog = catalog or search_instance_catalog()
    limits = limits or volume_limits_table()
    if index.replicas < zones - 1:
        raise SizingError(
            "index.replicas",
            f"a domain over {zones} zones needs at least {zones - 1} replicas so a copy of every shard "
            "survives a lost zone",
        )
    copies = 1 + index.replicas
    source = index.source_gib
    storage = source * copies * STORAGE_FACTOR
    shards = max(1, math.ceil(source * (1 + INDEXING_OVERHEAD) / SHARD_TARGET_GIB))
    steps = [
        f"source {index.documents:,} docs × {index.average_document_bytes:,} B"
        + (f" × {index.growth_factor:g} growth" if index.growth_factor != 1 else "")
        + f" = {source:.2f} GiB",
        f"storage {source:.2f} GiB × (1 + {index.replicas} replicas) × {STORAGE_FACTOR} = {storage:.2f} GiB (bp-storage)",
        f"primary shards max(1, ⌈{source:.2f} × {1 + INDEXING_OVERHEAD:g} / {SHARD_TARGET_GIB} GiB⌉) = {shards} (bp-sharding, 10-30 GiB)",
    ]
    minimum_nodes = _round_up(max(copies, zones), zones)

    def fits(kind: SearchInstanceType, count: int) -> str | None:
        if count < copies:
            return f"{count} data nodes cannot hold {copies} copies of a shard on different nodes"
        volume = limits[kind.name]
        if math.ceil(storage / count) > volume.maximum_gib:
            return (
                f"{math.ceil(storage / count):,} GiB a node exceed the {volume.maximum_gib:,} GiB "
                f"gp3 volume OpenSearch Service attaches to {kind.name}"
            )
        shards_per_node = math.ceil(shards * copies / count)
        if shards_per_node > SHARDS_PER_HEAP_GIB * kind.heap_gib:
            return f"{shards_per_node} shards a node exceed {SHARDS_PER_HEAP_GIB} per GiB of {kind.heap_gib:g} GiB heap"
        if serve_queries:
            capacity = surviving_nodes(count, zones) * kind.shard_queries_per_second(index.query_millis)
            if capacity < index.queries_per_second * shards:
                return (
                    f"{surviving_nodes(count, zones)} nodes left after a zone loss serve {capacity:,.0f} "
                    f"shard-queries/s, below {index.queries_per_second:g} QPS × {shards} shards"
                )
        return None

    if instance_type is not None and instance_type not in catalog:
        raise SizingError("instanceType", f"unknown OpenSearch instance type {instance_type}")
    if instance_type is not None and instance_type not in limits:
        raise SizingError("instanceType", f"{instance_type} {no_limits_message()}")
    kinds = [catalog[instance_type]] if instance_type else [
        k for k in catalog.values() if not k.burstable and k.name in limits
    ]
    if volume_size_gib is not None:
        kinds = _kinds_taking(volume_size_gib, kinds, limits, pinned=instance_type is not None, known=catalog)
    counts = [instance_count] if instance_count else range(minimum_nodes, MAX_DATA_NODES + 1, zones)
    best: tuple[float, SearchInstanceType, int] | None = None
    last_problem = ""
    for kind in kinds:
        for count in counts:
            problem = fits(kind, count)
            if problem is None:
                cost = kind.usd_per_hour * count
                if best is None or (cost, count) < (best[0], best[2]):
                    best = (cost, kind, count)
                break
            last_problem = problem
    if best is None:
        key = "instanceCount" if instance_count else "instanceType" if instance_type else "index"
        raise SizingError(
            key,
            f"no domain of at most {MAX_DATA_NODES} data nodes of the known types holds the index "
            f"(the last one tried: {last_problem})",
        )
    _, kind, count = best
    minimum_volume = limits[kind.name].minimum_gib
    needed_volume = max(minimum_volume, math.ceil(storage / count))
    if volume_size_gib is not None and volume_size_gib < needed_volume:
        raise SizingError(
            "volumeSizeGib", f"{volume_size_gib} GiB a node cannot hold {storage:.2f} GiB over {count} nodes (needs {needed_volume})"
        )
    volume = volume_size_gib or needed_volume
    masters = derived_master_count(zones) if dedicated_master_count is None else dedicated_master_count
    chosen = "pinned by instanceType" if instance_type else "cheapest type that fits"
    steps += [
        f"data nodes: {count} × {kind.name} ({kind.vcpu} vCPU, {kind.memory_gib:g} GiB, {chosen}; "
        f"at least max({_count(copies, 'copy', 'copies')}, {_count(zones, 'zone')}), a multiple of {zones})",
        f"shards a node ⌈{shards} × {copies} / {count}⌉ = {math.ceil(shards * copies / count)} "
        f"≤ {SHARDS_PER_HEAP_GIB} × {kind.heap_gib:g} GiB heap",
    ]
    if serve_queries:
        left = surviving_nodes(count, zones)
        steps.append(
            f"queries: {_count(left, 'node')} after a zone loss × {kind.vcpu} vCPU × 1000 / "
            f"{index.query_millis:g} ms = {left * kind.shard_queries_per_second(index.query_millis):,.0f} "
            f"shard-queries/s ≥ {index.queries_per_second:g} QPS × {_count(shards, 'shard')}"
        )
    steps += [
        f"volume max({minimum_volume}, ⌈{storage:.2f} / {count}⌉) = {needed_volume} GiB a node "
        f"(≤ {limits[kind.name].maximum_gib:,} GiB on {kind.name})"
        + (f" (volumeSizeGib pins {volume})" if volume != needed_volume else ""),
        f"dedicated masters: {masters}"
        + (" (dedicatedMasterCount)" if dedicated_master_count is not None else f" (derived for {_count(zones, 'zone')})"),
    ]
    return DomainPlan(
        instance_type=kind.name,
        instance_count=count,
        zones=zones,
        volume_size_gib=volume,
        primary_shards=shards,
        replicas=index.replicas,
        dedicated_master_count=masters,
        steps=tuple(steps),
        zone_loss=zone_loss_answer(zones, count, masters, index.replicas, region_zones),
    )


def _kinds_taking(
    volume_gib: int,
    kinds: Sequence[SearchInstanceType],
    limits: Mapping[str, VolumeLimits],
    *,
    pinned: bool,
    known: Mapping[str, SearchInstanceType],
) -> list[SearchInstanceType]:
    """The candidate types whose data nodes take a pinned `volume_gib` volume; raises
    `SizingError` on `volumeSizeGib` when none does, saying what would."""
    taking = [kind for kind in kinds if limits[kind.name].problem(volume_gib) is None]
    if taking or not kinds:
        return taking
    if pinned:
        (kind,) = kinds
        others = sorted(name for name in known if name in limits and limits[name].problem(volume_gib) is None)
        fix = f"pin at most {limits[kind.name].maximum_gib:,} GiB"
        if others:
            fix += f", or an instanceType that takes {volume_gib:,} GiB ({', '.join(others)})"
        raise SizingError("volumeSizeGib", f"{limits[kind.name].problem(volume_gib)}; {fix}")
    largest = max(kinds, key=lambda kind: limits[kind.name].maximum_gib)
    raise SizingError(
        "volumeSizeGib",
        f"no known data node type takes a {volume_gib:,} GiB gp3 volume: the largest is "
        f"{limits[largest.name].maximum_gib:,} GiB on {largest.name} "
        "(data/opensearch/ebs_volume_limits.csv); pin a smaller volume and more nodes",
    )


def known_search_types() -> Sequence[str]:
    return sorted(search_instance_catalog())
