"""Search domain settings: engine version, sizing, access control and logs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.search.search_domain import SearchSizing, sizing_problems
from components.search.search_engine_support import (
    SUPPORT_CALENDAR,
    extended_support_cost_note,
    parse_engine_version,
    support_window,
)
from components.search.search_sizing import (
    PRICE_TABLE,
    DomainPlan,
    SearchIndex,
    SizingError,
    known_search_types,
    plan_domain,
)
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError

DEFAULT_ENGINE_VERSION = "OpenSearch_3.3"
# Elasticsearch is accepted only at its last open-source release, for teams moving an existing
# index (restore a 7.10 snapshot, then upgrade in place or reindex into OpenSearch).
MIGRATION_ELASTICSEARCH_VERSION = "Elasticsearch_7.10"
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9]*\.(nano|micro|small|medium|large|\d*xlarge)\.search$")
# T2 has no encryption at rest; for the smallest T3 sizes AWS documents no support either
# (check `aws opensearch list-instance-type-details` → EncryptionEnabled before allowing one).
_UNENCRYPTABLE = re.compile(r"^(t2\.[a-z0-9]+|t3\.(nano|micro|small))\.search$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]+$")


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def support_date() -> date:
    """The day support phases are judged on (today, UTC). Tests replace it."""
    return datetime.now(UTC).date()


class FineGrainedAccessSettings(Section):
    """OpenSearch fine-grained access control (the security plugin) with an IAM master role."""

    enabled: bool = Field(
        False,
        description="Turn on fine-grained access control (index/document-level permissions, "
        "audit logs). Default `false`: the IAM access policy alone decides who may call the domain.",
    )
    master_role_arn: str | None = Field(
        None,
        description="IAM role that administers the security plugin (maps roles, reads audit logs); "
        "it is also granted by the access policy. Required when `enabled`.",
    )

    @field_validator("master_role_arn")
    @classmethod
    def _is_role_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError("must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        return value

    def active_master_role(self) -> str | None:
        """The master role when fine-grained access control is on, else None (the switch)."""
        return self.master_role_arn if self.enabled else None

    @model_validator(mode="after")
    def _master_role_when_enabled(self) -> "FineGrainedAccessSettings":
        if self.enabled and self.master_role_arn is None:
            raise KeyRuleError(
                "masterRoleArn", "fine-grained access control needs an IAM master role ARN", has_value=False
            )
        return self


class SearchIndexSettings(Section):
    """What the autocomplete index holds and serves: the domain is sized from these."""

    documents: int = Field(
        1_000_000, ge=1, le=10_000_000_000, description="Documents in the index. Default `1000000`."
    )
    average_document_bytes: int = Field(
        1024,
        ge=16,
        le=100 * 2**20,
        description="Average source size of a document, bytes (`_cat/indices` `pri.store.size` / "
        "`docs.count` of a built index). Default `1024`.",
    )
    replicas: int | None = Field(
        None,
        ge=0,
        le=5,
        description="Replicas of each shard (`number_of_replicas`). Default: one copy per zone "
        "(`availabilityZoneCount` - 1), the least that survives a lost zone.",
    )
    queries_per_second: float = Field(
        50, gt=0, le=100_000, description="Peak queries a second the domain must serve after losing a zone. Default `50`."
    )
    query_millis: float = Field(
        10,
        gt=0,
        le=10_000,
        description="Service time of one query on one shard, ms, CPU-bound: capacity is vCPU × 1000 / "
        "`queryMillis` shard-queries a second a node. Default `10` is an assumption (a prefix query on "
        "a small in-memory index), not a measurement: replace it with the workload's measured p50 "
        "service time (the search slow log's `took`).",
    )
    growth_factor: float = Field(
        1.0, ge=1, le=100, description="Room to grow, as a multiple of `documents`. Default `1.0`."
    )


class SearchSettings(Section):
    """The search domain behind autocomplete."""

    engine_version: str = Field(
        DEFAULT_ENGINE_VERSION,
        description="`OpenSearch_X.Y`, or `Elasticsearch_7.10` to migrate an existing index. Default "
        "`OpenSearch_3.3`: the newest release AWS documents, on standard support with no announced "
        "end. A version on paid extended support (calendar in `components/search/search_engine_support.py`) "
        "is refused unless `acceptExtendedSupportCost` is `true`.",
    )
    accept_extended_support_cost: bool = Field(
        False,
        description="Accept an engine version on paid extended support and its surcharge. "
        "Default `false`.",
    )
    index: SearchIndexSettings = Field(
        default_factory=SearchIndexSettings,
        description="The index the domain serves; data node type and count, volume size, shards and "
        "dedicated masters follow from it (docs/search.md, sizing).",
    )
    instance_type: str | None = Field(
        None,
        description="Pins the data node type (`<family>.<size>.search`, one the price table knows and "
        "whose EBS volume limits are recorded). Default: the cheapest non-burstable type that holds `index`. `t2.*` (no encryption at rest) "
        "and `t3.nano/micro/small` (support unconfirmed) are refused.",
    )
    instance_count: int | None = Field(
        None, ge=1, le=80, description="Pins the data node count. Default: derived from `index`."
    )
    availability_zone_count: Literal[1, 2, 3] = Field(
        1,
        description="Zones the data nodes and replicas spread over: `1` (no zone awareness), `2` or "
        "`3`. At most `network.azCount`. Default `1`.",
    )
    dedicated_master_count: int | None = Field(
        None,
        description="Dedicated master nodes: `0` (none), `3` or `5`. Default: none over 1 or 3 zones "
        "(with 3 zones the data nodes keep a majority when one is lost), 3 over 2 zones.",
    )
    dedicated_master_type: str = Field(
        "m7g.large.search",
        description="Dedicated master node type, used when `dedicatedMasterCount` > 0. Default "
        "`m7g.large.search`.",
    )
    volume_size_gib: int | None = Field(
        None,
        ge=10,
        le=16384,
        description="Pins the gp3 volume per data node, GiB, within what OpenSearch Service attaches to "
        "the data node type (`data/opensearch/ebs_volume_limits.csv`: e.g. 10-768 on m7g.medium.search, "
        "10-2048 on r6g.large.search). Default: derived from `index`, within the same bounds.",
    )
    volume_iops: int = Field(
        3000,
        description="gp3 IOPS per volume, 3000-16000, at most 500 per GiB. Default `3000` (included "
        "in the storage price).",
    )
    volume_throughput_mibps: int = Field(
        125,
        description="gp3 throughput per volume, 125-1000 MiB/s, at most 0.25 per IOPS. Default `125` "
        "(included in the storage price).",
    )
    auto_tune: bool = Field(
        True, description="Auto-Tune (JVM and queue tuning) in the off-peak window. Default `true`."
    )
    off_peak_window_start_hour_utc: int = Field(
        2,
        ge=0,
        le=23,
        description="Start hour (UTC) of the daily 10-hour window for software updates and Auto-Tune. "
        "Default `2`.",
    )
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731] = Field(
        30, description="Retention of the domain's slow, error and audit log groups, days. Default `30`."
    )
    fine_grained_access: FineGrainedAccessSettings = Field(
        default_factory=FineGrainedAccessSettings, description="Fine-grained access control."
    )
    service_linked_role: Literal["create", "existing"] = Field(
        "existing",
        description="The account's OpenSearch service-linked role "
        "(AWSServiceRoleForAmazonOpenSearchService), which a VPC domain needs before it is "
        "created. `create`: this stack declares it (and keeps it on destroy); exactly one stack "
        "per account, since a second creation fails. `existing`: the stack reads it at plan time "
        "and stops the preview if it is missing. Default `existing`.",
    )

    def search_index(self) -> SearchIndex:
        index = self.index
        replicas = self.availability_zone_count - 1 if index.replicas is None else index.replicas
        return SearchIndex(
            documents=index.documents,
            average_document_bytes=index.average_document_bytes,
            replicas=replicas,
            queries_per_second=index.queries_per_second,
            query_millis=index.query_millis,
            growth_factor=index.growth_factor,
        )

    def domain_plan(self) -> DomainPlan:
        """The domain sized from `index`, with any pinned choice (raises `SizingError`)."""
        return plan_domain(
            self.search_index(),
            self.availability_zone_count,
            instance_type=self.instance_type,
            instance_count=self.instance_count,
            volume_size_gib=self.volume_size_gib,
            dedicated_master_count=self.dedicated_master_count,
        )

    def floor_plan(self) -> DomainPlan:
        """The smallest domain that holds `index` in the same zones: no pinned choice, no query
        load, no dedicated masters (what `mlp cost` reports as the search floor)."""
        return plan_domain(self.search_index(), self.availability_zone_count, serve_queries=False, dedicated_master_count=0)

    def sizing(self) -> SearchSizing:
        plan = self.domain_plan()
        return SearchSizing(
            instance_type=plan.instance_type,
            instance_count=plan.instance_count,
            availability_zone_count=self.availability_zone_count,
            dedicated_master_count=plan.dedicated_master_count,
            dedicated_master_type=self.dedicated_master_type,
            volume_size_gib=plan.volume_size_gib,
            volume_iops=self.volume_iops,
            volume_throughput_mibps=self.volume_throughput_mibps,
        )

    @field_validator("instance_type", "dedicated_master_type")
    @classmethod
    def _instance_type(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not _INSTANCE_TYPE.match(value):
            raise ValueError("must be an OpenSearch instance type such as m7g.medium.search")
        if _UNENCRYPTABLE.match(value):
            raise ValueError(
                "does not support encryption at rest, which the domain requires; the smallest "
                "accepted sizes are medium (e.g. m7g.medium.search, t3.medium.search)"
            )
        if value not in known_search_types():
            # Like an unknown EC2 type (components/nodes/instance_catalog.py): a type the price table
            # lacks could be neither sized nor priced, and would drop out of the estimate.
            raise ValueError(
                f"unknown OpenSearch instance type: not in data/pricing/{PRICE_TABLE.name} (known: "
                f"{', '.join(known_search_types())}), so it can be neither sized nor priced"
            )
        return value

    @field_validator("engine_version")
    @classmethod
    def _known_engine_version(cls, value: str) -> str:
        engine, _ = parse_engine_version(value)
        if engine == "Elasticsearch" and value != MIGRATION_ELASTICSEARCH_VERSION:
            raise ValueError(
                f"only {MIGRATION_ELASTICSEARCH_VERSION} is accepted among Elasticsearch versions "
                f"(to migrate an existing index); new domains use OpenSearch, e.g. {DEFAULT_ENGINE_VERSION}"
            )
        if support_window(value) is None:
            known = ", ".join(
                f"{w.engine}_{w.first[0]}.{w.first[1]}" + ("+" if w.last is None else "")
                for w in SUPPORT_CALENDAR
                if w.engine == "OpenSearch"
            )
            raise ValueError(f"is not in AWS's support calendar (OpenSearch rows start at: {known})")
        return value

    @model_validator(mode="after")
    def _rules(self) -> "SearchSettings":
        try:
            self.domain_plan()
        except SizingError as error:
            value = None if error.key.startswith("index") else getattr(self, _snake(error.key), None)
            raise KeyRuleError(error.key, str(error), value, has_value=value is not None) from None
        problems = sizing_problems(self.sizing())
        if problems:
            field_name, message = next(iter(problems.items()))
            raise KeyRuleError(to_camel(field_name), message, getattr(self, field_name))
        self._supported_or_accepted()
        return self

    def _supported_or_accepted(self) -> None:
        window = support_window(self.engine_version)
        today = support_date()
        phase = window.phase(today) if window else "standard"
        if phase == "ended":
            raise KeyRuleError(
                "engineVersion",
                f"AWS ended all support for {self.engine_version} on {window.extended_support_ends}; "
                f"upgrade (e.g. to {DEFAULT_ENGINE_VERSION})",
                self.engine_version,
            )
        if phase == "extended" and not self.accept_extended_support_cost:
            cost = extended_support_cost_note(self.engine_version, today, self.sizing().node_counts())
            raise KeyRuleError(
                "engineVersion",
                f"{self.engine_version} left standard support on {window.standard_support_ends} and is on "
                f"paid extended support until {window.extended_support_ends}, at {cost}. Use "
                f"{DEFAULT_ENGINE_VERSION}, or set ml-platform:search.acceptExtendedSupportCost: true",
                self.engine_version,
            )
