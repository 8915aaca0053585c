"""The search domain behind autocomplete: private, encrypted, observable, sized per environment."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.cluster.key_policy import account_administered_key_policy
from components.search.search_alarms import NAMESPACE, search_alarm_specs
from components.search.search_engine_support import parse_engine_version
from components.search.search_volume_limits import no_limits_message, volume_limits

# botocore's DomainName shape: 3-28 characters, lower-case letter first.
DOMAIN_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9\-]{2,27}$")
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"  # TLS 1.2-1.3, forward-secret cipher suites only
HTTPS_PORT = 443
OPENSEARCH_SERVICE_PRINCIPAL = "opensearchservice.amazonaws.com"
OPENSEARCH_SERVICE_LINKED_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
ServiceLinkedRoleMode = Literal["create", "existing"]
ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]+$")
# gp3 limits (EBS volume types; also the OpenSearch console's limits): 3,000-16,000 IOPS,
# 125-1,000 MiB/s, at most 0.25 MiB/s per provisioned IOPS and 500 IOPS per GiB. OpenSearch
# Service raises the two caps by 16,000 IOPS and 1,000 MiB/s per further 3 TiB of volume a data
# node ("Creating and managing domains", EBS storage, awsdocs/amazon-opensearch-service-developer-
# guide doc_source/createupdatedomains.md @ c012b415); no type the project knows takes more than
# 2 TiB (data/opensearch/ebs_volume_limits.csv), so the flat caps are the ones that apply.
GP3_IOPS = (3000, 16000)
GP3_THROUGHPUT_MIBPS = (125, 1000)
GP3_MIBPS_PER_IOPS = 0.25
GP3_IOPS_PER_GIB = 500
DEDICATED_MASTER_COUNTS = (0, 3, 5)

# Log type → short name used in the group name. AUDIT_LOGS only exist with fine-grained access
# control ("Audit logs, which are only available if you enable fine-grained access control",
# AWS OpenSearch best practices).
LOG_TYPES = {
    "INDEX_SLOW_LOGS": "index-slow",
    "SEARCH_SLOW_LOGS": "search-slow",
    "ES_APPLICATION_LOGS": "error",
}
AUDIT_LOG_TYPE = ("AUDIT_LOGS", "audit")


@dataclass(frozen=True, kw_only=True)
class SearchSizing:
    """How big the domain is. Defaults are the smallest sensible domain (one node)."""

    instance_type: str = "m7g.medium.search"
    """Data node type. Default `m7g.medium.search`: the smallest Graviton size, supports
    encryption at rest and node-to-node encryption (T2 does not)."""
    instance_count: int = 1
    """Data nodes. Default 1. With zone awareness, a multiple of `availability_zone_count`."""
    availability_zone_count: int = 1
    """1 (default): no zone awareness. 2 or 3: nodes and replicas spread over that many zones."""
    dedicated_master_count: int = 0
    """0 (default): data nodes also act as masters. Otherwise 3 or 5 dedicated masters."""
    dedicated_master_type: str = "m7g.large.search"
    """Dedicated master type, used only when `dedicated_master_count` > 0. Default `m7g.large.search`."""
    volume_size_gib: int = 20
    """gp3 volume per data node, GiB. Default 20."""
    volume_iops: int = 3000
    """gp3 IOPS per volume. Default 3000 (the included baseline)."""
    volume_throughput_mibps: int = 125
    """gp3 throughput per volume, MiB/s. Default 125 (the included baseline)."""

    def node_counts(self) -> dict[str, int]:
        """{instance type: count} of every node, data and master (what the domain pays for)."""
        counts = {self.instance_type: self.instance_count}
        if self.dedicated_master_count:
            counts[self.dedicated_master_type] = counts.get(self.dedicated_master_type, 0) + self.dedicated_master_count
        return counts


def sizing_problems(sizing: SearchSizing) -> dict[str, str]:
    """Rules a sizing must meet, checked on plain values: {field name: what is wrong and how to fix it}."""
    problems: dict[str, str] = {}
    zones = sizing.availability_zone_count
    if zones not in (1, 2, 3):
        problems["availability_zone_count"] = "must be 1 (no zone awareness), 2 or 3"
    elif zones > 1 and sizing.instance_count % zones:
        problems["instance_count"] = (
            f"must be a multiple of the {zones} zones so every zone holds the same share of the "
            f"data (e.g. {zones} or {2 * zones})"
        )
    if sizing.instance_count < 1:
        problems["instance_count"] = "must be at least 1"
    if sizing.dedicated_master_count not in DEDICATED_MASTER_COUNTS:
        problems["dedicated_master_count"] = (
            "must be 0 (no dedicated masters), 3 or 5: masters elect by majority, so 1 is a single "
            "point of failure and an even count tolerates no more failures than the odd count below it"
        )
    # Only data nodes carry an EBS volume (EBSOptions: "attached to data nodes"); dedicated masters
    # have none, so `dedicated_master_type` needs no volume limits.
    limits = volume_limits(sizing.instance_type)
    if limits is None:
        problems["instance_type"] = f"{sizing.instance_type} {no_limits_message()}"
    elif (volume_problem := limits.problem(sizing.volume_size_gib)) is not None:
        problems["volume_size_gib"] = volume_problem
    low, high = GP3_IOPS
    if not low <= sizing.volume_iops <= high:
        problems["volume_iops"] = f"gp3 IOPS must be between {low} and {high}"
    elif sizing.volume_iops > GP3_IOPS_PER_GIB * sizing.volume_size_gib:
        problems["volume_iops"] = (
            f"gp3 allows at most {GP3_IOPS_PER_GIB} IOPS per GiB: {sizing.volume_size_gib} GiB "
            f"carries at most {GP3_IOPS_PER_GIB * sizing.volume_size_gib}"
        )
    low, high = GP3_THROUGHPUT_MIBPS
    if not low <= sizing.volume_throughput_mibps <= high:
        problems["volume_throughput_mibps"] = f"gp3 throughput must be between {low} and {high} MiB/s"
    elif sizing.volume_throughput_mibps > GP3_MIBPS_PER_IOPS * sizing.volume_iops:
        problems["volume_throughput_mibps"] = (
            f"gp3 allows at most {GP3_MIBPS_PER_IOPS} MiB/s per IOPS: {sizing.volume_iops} IOPS "
            f"carry at most {GP3_MIBPS_PER_IOPS * sizing.volume_iops:g} MiB/s; raise the IOPS too"
        )
    return problems


def index_replica_count(sizing: SearchSizing) -> int:
    """Replicas each index should have: one copy per zone when zone-aware (so losing a zone
    loses no data), one replica on a multi-node domain otherwise, none on a single node."""
    if sizing.availability_zone_count > 1:
        return sizing.availability_zone_count - 1
    return 1 if sizing.instance_count > 1 else 0


def search_domain_arn(region: str, account_id: str, domain_name: str) -> str:
    """The ARN the domain will have, known before it exists, so IAM policies of the services
    that query it can be written first."""
    return f"arn:aws:es:{region}:{account_id}:domain/{domain_name}"


def search_access_policy(domain_arn: str, account_id: str, principal_arns: Sequence[str]) -> dict:
    """The domain's resource policy: `es:ESHttp*` on the domain's indices for exactly these IAM
    roles. With no roles, an explicit deny to the whole account, so no identity policy elsewhere
    can open it either. There is never a `*` principal."""
    bad = [arn for arn in principal_arns if not ROLE_ARN_PATTERN.match(arn)]
    if bad:
        raise ValueError(f"search access is granted to IAM role ARNs only, not {bad}")
    resource = f"{domain_arn}/*"
    if not principal_arns:
        statement = {
            "Sid": "NoClientsYet",
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "es:ESHttp*",
            "Resource": resource,
        }
    else:
        statement = {
            "Sid": "SearchClients",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(set(principal_arns))},
            "Action": "es:ESHttp*",
            "Resource": resource,
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


def log_delivery_policy(log_group_arns: Sequence[str], account_id: str, domain_arn: str) -> dict:
    """CloudWatch Logs resource policy: the OpenSearch service may create streams and put events
    in exactly these groups, and only on behalf of this domain."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SearchDomainLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "es.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{arn}:*" for arn in log_group_arns],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": domain_arn},
                },
            }
        ],
    }


def search_key_policy(account_id: str) -> dict:
    """The account administers the key. OpenSearch uses it through grants it creates with the
    deploying principal's `kms:CreateGrant` permission, which this statement delegates to IAM."""
    return account_administered_key_policy(account_id)


@dataclass(frozen=True, kw_only=True)
class SearchDomainArgs:
    """Inputs of `SearchDomain`."""

    domain_name: str
    """Domain name, 3-28 characters, lower-case letter first (e.g. `mlp-prod-search`). Explicit,
    so its ARN is known before the domain exists (`search_domain_arn`)."""
    region: str
    """Region of the domain (for its ARN)."""
    account_id: str
    """Account of the domain (ARN, alarm dimension, log-delivery condition)."""
    engine_version: str
    """`OpenSearch_X.Y` or `Elasticsearch_X.Y`. Support-calendar checks belong to the caller."""
    vpc_id: pulumi.Input[str]
    """VPC of the domain's security group."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets, one per zone; the first `availability_zone_count` are used."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic every alarm notifies."""
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups whose members may reach the domain on 443. Default none: no ingress."""
    access_role_arns: Sequence[pulumi.Input[str]] = ()
    """IAM roles granted `es:ESHttp*`. Default none: the access policy denies the account."""
    sizing: SearchSizing = field(default_factory=SearchSizing)
    """Node types, counts, zones and storage. Default one `m7g.medium.search` node, 20 GiB."""
    auto_tune: bool = True
    """Auto-Tune (heap and queue tuning) during the off-peak window. Default on."""
    off_peak_window_start_hour_utc: int = 2
    """Start of the daily 10-hour off-peak window for updates and Auto-Tune, hour in UTC. Default 2."""
    log_retention_days: int = 30
    """Retention of the domain's log groups. Default 30 days."""
    fine_grained_access_master_role_arn: pulumi.Input[str] | None = None
    """Switch for fine-grained access control: the IAM role that administers it (also granted
    by the access policy), with audit logs on. Default None: off, IAM access policy only."""
    service_linked_role: ServiceLinkedRoleMode = "existing"
    """The account's OpenSearch service-linked role, which a VPC domain needs before it can be
    created: `create` declares it (kept on destroy: it is account-wide, and other domains of the
    account use it), `existing` reads it at plan time, so a missing role stops `pulumi preview`
    instead of the domain's creation. Default `existing`: declaring a role that exists fails."""


class SearchDomain(pulumi.ComponentResource):
    """An OpenSearch (or Elasticsearch 7.10) domain reachable only from its clients.

    Creates:
    - a customer-managed KMS key (rotation on) with an alias, for encryption at rest;
    - a security group with no egress and one 443 ingress rule per client security group (none
      when there are no clients: the domain is unreachable);
    - log groups with retention for index slow logs, search slow logs and error logs (plus audit
      logs with fine-grained access control) and one CloudWatch Logs resource policy letting
      OpenSearch write to exactly those groups for this domain;
    - the domain: in the VPC's private subnets, node-to-node encryption, HTTPS only with TLS 1.2+
      forward-secret ciphers, gp3 storage, zone awareness and dedicated masters per `sizing`,
      Auto-Tune and software updates in the off-peak window, a resource policy naming only the
      access roles, optional fine-grained access control with an IAM master role;
    - the AWS-recommended alarms (cluster red/yellow, storage, JVM, snapshots, KMS, nodes,
      masters) on the `AWS/ES` metrics, to the alarm topic;
    - the account's OpenSearch service-linked role with `service_linked_role="create"`; with
      `existing` a read of it, so that a missing role fails the preview.
    """

    endpoint: pulumi.Output[str]
    domain_arn: pulumi.Output[str]
    domain_name: str
    replica_count: int

    def __init__(self, name: str, args: SearchDomainArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:search:SearchDomain", name, None, opts)
        self._check(args)
        sizing = args.sizing
        domain_arn = search_domain_arn(args.region, args.account_id, args.domain_name)
        child = pulumi.ResourceOptions(parent=self)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts search domain {args.domain_name} at rest",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(search_key_policy(args.account_id)),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{args.domain_name}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"HTTPS to search domain {args.domain_name} from its clients only",
            tags={"Name": f"{args.domain_name}-domain"},
            opts=child,
        )
        for index, client_group in enumerate(args.client_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-https-from-client-{index}",
                security_group_id=security_group.id,
                referenced_security_group_id=client_group,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                description="HTTPS from a search client security group",
                opts=pulumi.ResourceOptions(parent=security_group),
            )

        fine_grained = args.fine_grained_access_master_role_arn is not None
        log_types = dict(LOG_TYPES)
        if fine_grained:
            log_types[AUDIT_LOG_TYPE[0]] = AUDIT_LOG_TYPE[1]
        log_groups = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-{short}-logs",
                name=f"/aws/opensearch/{args.domain_name}/{short}",
                retention_in_days=args.log_retention_days,
                opts=child,
            )
            for log_type, short in log_types.items()
        }
        log_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=f"{args.domain_name}-log-delivery",
            policy_document=pulumi.Output.all(*[group.arn for group in log_groups.values()]).apply(
                lambda arns: json.dumps(log_delivery_policy(arns, args.account_id, domain_arn))
            ),
            opts=child,
        )

        depends_on: list[pulumi.Resource] = [log_policy, *self._service_linked_role(name, args.service_linked_role)]

        principals = list(args.access_role_arns)
        if fine_grained:
            principals.append(args.fine_grained_access_master_role_arn)  # type: ignore[arg-type]
        access_policy = pulumi.Output.all(*principals).apply(
            lambda arns: json.dumps(search_access_policy(domain_arn, args.account_id, arns))
        )
        zones = sizing.availability_zone_count
        subnet_ids = pulumi.Output.from_input(args.subnet_ids).apply(lambda ids: _first_subnets(ids, zones))

        domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            engine_version=args.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=sizing.instance_type,
                instance_count=sizing.instance_count,
                zone_awareness_enabled=zones > 1,
                zone_awareness_config=(
                    aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(availability_zone_count=zones)
                    if zones > 1
                    else None
                ),
                dedicated_master_enabled=sizing.dedicated_master_count > 0,
                dedicated_master_count=sizing.dedicated_master_count or None,
                dedicated_master_type=sizing.dedicated_master_type if sizing.dedicated_master_count else None,
                # Standby keeps a third of the nodes idle; replicas across zones are enough here.
                multi_az_with_standby_enabled=False,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True,
                volume_type="gp3",
                volume_size=sizing.volume_size_gib,
                iops=sizing.volume_iops,
                throughput=sizing.volume_throughput_mibps,
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True, kms_key_id=key.arn),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=subnet_ids, security_group_ids=[security_group.id]
            ),
            access_policies=access_policy,
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=fine_grained,
                anonymous_auth_enabled=False,
                internal_user_database_enabled=False,
                master_user_options=(
                    aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                        master_user_arn=args.fine_grained_access_master_role_arn
                    )
                    if fine_grained
                    else None
                ),
            ),
            log_publishing_options=[
                aws.opensearch.DomainLogPublishingOptionArgs(
                    log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True
                )
                for log_type, group in log_groups.items()
            ],
            auto_tune_options=aws.opensearch.DomainAutoTuneOptionsArgs(
                desired_state="ENABLED" if args.auto_tune else "DISABLED",
                use_off_peak_window=args.auto_tune,
                rollback_on_disable="NO_ROLLBACK",
            ),
            off_peak_window_options=aws.opensearch.DomainOffPeakWindowOptionsArgs(
                enabled=True,
                off_peak_window=aws.opensearch.DomainOffPeakWindowOptionsOffPeakWindowArgs(
                    window_start_time=aws.opensearch.DomainOffPeakWindowOptionsOffPeakWindowWindowStartTimeArgs(
                        hours=args.off_peak_window_start_hour_utc, minutes=0
                    )
                ),
            ),
            software_update_options=aws.opensearch.DomainSoftwareUpdateOptionsArgs(
                auto_software_update_enabled=True
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

        for spec in search_alarm_specs(
            data_node_count=sizing.instance_count,
            dedicated_master_count=sizing.dedicated_master_count,
            volume_size_gib=sizing.volume_size_gib,
        ):
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{spec.key}",
                name=f"{args.domain_name}-{spec.key}",
                alarm_description=spec.description,
                namespace=NAMESPACE,
                metric_name=spec.metric,
                dimensions={"DomainName": domain.domain_name, "ClientId": args.account_id},
                statistic=spec.statistic,
                period=spec.period_seconds,
                evaluation_periods=spec.evaluation_periods,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=[args.alarm_topic_arn],
                ok_actions=[args.alarm_topic_arn],
                opts=pulumi.ResourceOptions(parent=domain),
            )

        self.endpoint = domain.endpoint
        self.domain_arn = domain.arn
        self.domain_name = args.domain_name
        self.replica_count = index_replica_count(sizing)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "domain_arn": self.domain_arn,
                "domain_name": self.domain_name,
                "replica_count": self.replica_count,
            }
        )

    def _service_linked_role(self, name: str, mode: ServiceLinkedRoleMode) -> list[pulumi.Resource]:
        """A VPC domain created through the API fails with "Before you can proceed, you must
        enable a service-linked role to give Amazon OpenSearch Service permissions to access your
        VPC" when the account lacks `AWSServiceRoleForAmazonOpenSearchService` (seen from
        CloudFormation in aws/copilot-cli #3006); AWS documents creating it only "the first time
        you create an OpenSearch domain" and only with `iam:CreateServiceLinkedRole` ("Using
        service-linked roles to create VPC domains",
        https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html). A
        second CreateServiceLinkedRole in the account fails ("has been taken in this account"),
        so exactly one stack per account creates it and the others read it."""
        if mode == "create":
            role = aws.iam.ServiceLinkedRole(
                f"{name}-service-linked-role",
                aws_service_name=OPENSEARCH_SERVICE_PRINCIPAL,
                description="Lets OpenSearch Service place domain interfaces in the VPC",
                # Account-wide and shared by every domain of the account: destroying this stack
                # must not try to delete it (IAM refuses while another domain uses it).
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            return [role]
        # Raises during the preview when the role is missing: the stack stops before anything
        # waits on a domain that cannot be created.
        aws.iam.get_role(name=OPENSEARCH_SERVICE_LINKED_ROLE, opts=pulumi.InvokeOptions(parent=self))
        return []

    @staticmethod
    def _check(args: SearchDomainArgs) -> None:
        if not DOMAIN_NAME_PATTERN.match(args.domain_name):
            raise ValueError(
                f"search domain name {args.domain_name!r} must be 3-28 characters of a-z, 0-9 and "
                "'-', starting with a letter"
            )
        parse_engine_version(args.engine_version)
        problems = sizing_problems(args.sizing)
        if problems:
            details = "; ".join(f"{key}: {message}" for key, message in problems.items())
            raise ValueError(f"search domain {args.domain_name}: {details}")
        if not 0 <= args.off_peak_window_start_hour_utc <= 23:
            raise ValueError("off_peak_window_start_hour_utc must be an hour 0-23")
        for arn in [*args.access_role_arns, args.fine_grained_access_master_role_arn]:
            if isinstance(arn, str) and not ROLE_ARN_PATTERN.match(arn):
                raise ValueError(f"search access is granted to IAM role ARNs only, not {arn!r}")


def _first_subnets(subnet_ids: Sequence[str], zones: int) -> list[str]:
    if len(subnet_ids) < zones:
        raise ValueError(f"the search domain spans {zones} zone(s) but got {len(subnet_ids)} subnet(s)")
    return list(subnet_ids[:zones])
