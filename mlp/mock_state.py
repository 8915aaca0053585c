"""What AWS would answer: ids, ARNs and endpoints shaped like the real ones, derived
deterministically from each resource's URN so two plans of the same program agree.

Downstream code runs the same path it runs against AWS: an ARN is split, an endpoint is put into
kubeconfig, a queue URL is handed to a Helm chart. Every invoke the program makes must be
answered here; an unknown one fails loudly rather than returning an empty result.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlp.wire import secret_wire_value

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


@dataclass(frozen=True)
class MockContext:
    region: str
    urn: str
    name: str
    inputs: dict[str, Any]

    def hex(self, length: int = 17, salt: str = "") -> str:
        return hashlib.sha256(f"{self.urn}{salt}".encode()).hexdigest()[:length]

    def uuid(self) -> str:
        return str(uuid.UUID(hashlib.md5(self.urn.encode()).hexdigest()))

    def physical_name(self) -> str:
        """Pulumi's auto-naming: the logical name plus a random-looking suffix, unless set."""
        return self.inputs.get("name") or f"{self.name}-{self.hex(7)}"


def _arn(ctx: MockContext, service: str, resource: str, regional: bool = True) -> str:
    region = ctx.region if regional else ""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _ec2(prefix: str, kind: str) -> Callable[[MockContext], dict[str, Any]]:
    def state(ctx: MockContext) -> dict[str, Any]:
        resource_id = f"{prefix}-{ctx.hex()}"
        return {"id": resource_id, "arn": _arn(ctx, "ec2", f"{kind}/{resource_id}"), "ownerId": ACCOUNT_ID}

    return state


def _iam(kind: str) -> Callable[[MockContext], dict[str, Any]]:
    def state(ctx: MockContext) -> dict[str, Any]:
        name = ctx.physical_name()
        path = ctx.inputs.get("path", "/")
        return {
            "id": name,
            "name": name,
            "arn": _arn(ctx, "iam", f"{kind}{path}{name}", regional=False),
            "uniqueId": f"AROA{ctx.hex(17).upper()}",
        }

    return state


def _service_linked_role(ctx: MockContext) -> dict[str, Any]:
    service = ctx.inputs["awsServiceName"]
    # AWS names each service's role itself; OpenSearch's is fixed.
    name = {"opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService"}.get(
        service, f"AWSServiceRoleFor{service.split('.')[0].title()}"
    )
    return {
        "id": _arn(ctx, "iam", f"role/aws-service-role/{service}/{name}", regional=False),
        "name": name,
        "path": f"/aws-service-role/{service}/",
        "arn": _arn(ctx, "iam", f"role/aws-service-role/{service}/{name}", regional=False),
        "uniqueId": f"AROA{ctx.hex(17).upper()}",
    }


def _log_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    return {"id": name, "name": name, "arn": _arn(ctx, "logs", f"log-group:{name}")}


def _kms_key(ctx: MockContext) -> dict[str, Any]:
    key_id = ctx.uuid()
    return {"id": key_id, "keyId": key_id, "arn": _arn(ctx, "kms", f"key/{key_id}")}


def _sqs_queue(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    url = f"https://sqs.{ctx.region}.amazonaws.com/{ACCOUNT_ID}/{name}"
    return {"id": url, "url": url, "name": name, "arn": _arn(ctx, "sqs", name)}


def _sns_topic(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    arn = _arn(ctx, "sns", name)
    return {"id": arn, "arn": arn, "name": name}


def _event_rule(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    bus = ctx.inputs.get("eventBusName", "default")
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return {"id": name, "name": name, "arn": _arn(ctx, "events", resource)}


def _autoscaling_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    return {
        "id": name,
        "name": name,
        "arn": _arn(ctx, "autoscaling", f"autoScalingGroup:{ctx.uuid()}:autoScalingGroupName/{name}"),
    }


def _launch_template(ctx: MockContext) -> dict[str, Any]:
    template_id = f"lt-{ctx.hex()}"
    return {
        "id": template_id,
        "name": ctx.physical_name(),
        "arn": _arn(ctx, "ec2", f"launch-template/{template_id}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


def _security_group(ctx: MockContext) -> dict[str, Any]:
    group_id = f"sg-{ctx.hex()}"
    return {"id": group_id, "arn": _arn(ctx, "ec2", f"security-group/{group_id}"), "name": ctx.physical_name(), "ownerId": ACCOUNT_ID}


def _vpc_endpoint(ctx: MockContext) -> dict[str, Any]:
    endpoint_id = f"vpce-{ctx.hex()}"
    return {
        "id": endpoint_id,
        "arn": _arn(ctx, "ec2", f"vpc-endpoint/{endpoint_id}"),
        "prefixListId": f"pl-{ctx.hex(8)}",
    }


def _ecr_repository(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    return {
        "id": name,
        "name": name,
        "arn": _arn(ctx, "ecr", f"repository/{name}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
    }


def _s3_bucket(ctx: MockContext) -> dict[str, Any]:
    # Without `bucket`, the provider names it `bucketPrefix` + a unique suffix (26 characters).
    name = ctx.inputs.get("bucket") or f"{ctx.inputs.get('bucketPrefix', 'terraform-')}{ctx.hex(26)}"
    return {
        "id": name,
        "bucket": name,
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "region": ctx.region,
        "bucketDomainName": f"{name}.s3.amazonaws.com",
    }


def _opensearch_domain(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs.get("domainName") or ctx.physical_name()[:28]
    return {
        "id": _arn(ctx, "es", f"domain/{name}"),
        "domainName": name,
        "arn": _arn(ctx, "es", f"domain/{name}"),
        "domainId": f"{ACCOUNT_ID}/{name}",
        "endpoint": f"vpc-{name}-{ctx.hex(26)}.{ctx.region}.es.amazonaws.com",
        "dashboardEndpoint": f"vpc-{name}-{ctx.hex(26)}.{ctx.region}.es.amazonaws.com/_dashboards",
    }


def _budget(ctx: MockContext) -> dict[str, Any]:
    name = ctx.physical_name()
    return {"id": f"{ACCOUNT_ID}:{name}", "name": name, "arn": f"arn:{PARTITION}:budgets::{ACCOUNT_ID}:budget/{name}"}


def _metric_alarm(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs.get("name") or ctx.physical_name()
    return {"id": name, "arn": _arn(ctx, "cloudwatch", f"alarm:{name}")}


def _oidc_provider(ctx: MockContext) -> dict[str, Any]:
    host_path = str(ctx.inputs.get("url", "")).removeprefix("https://")
    arn = _arn(ctx, "iam", f"oidc-provider/{host_path}", regional=False)
    return {"id": arn, "arn": arn}


def _eks_node_group(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    name = ctx.inputs.get("nodeGroupName") or ctx.physical_name()
    return {
        "id": f"{cluster}:{name}",
        "nodeGroupName": name,
        "arn": _arn(ctx, "eks", f"nodegroup/{cluster}/{name}/{ctx.uuid()}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{ctx.uuid()}"}]}],
    }


def _eks_addon(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    addon = ctx.inputs.get("addonName", ctx.name)
    return {"id": f"{cluster}:{addon}", "arn": _arn(ctx, "eks", f"addon/{cluster}/{addon}/{ctx.uuid()}")}


def _eks_access_entry(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    principal = ctx.inputs.get("principalArn", "")
    return {
        "id": f"{cluster}:{principal}",
        "accessEntryArn": _arn(ctx, "eks", f"access-entry/{cluster}/role/{ACCOUNT_ID}/{ctx.hex(8)}/{ctx.uuid()}"),
        "userName": principal,
    }


def _acm_certificate(ctx: MockContext) -> dict[str, Any]:
    # ACM's DNS validation option: one CNAME per name, `_<hash>.<name>.` to
    # `_<hash>.<hash>.acm-validations.aws.` (ACM user guide, "DNS validation").
    domain = ctx.inputs["domainName"]
    arn = _arn(ctx, "acm", f"certificate/{ctx.uuid()}")
    option = {
        "domainName": domain,
        "resourceRecordName": f"_{ctx.hex(32)}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"_{ctx.hex(32, 'value')}.{ctx.hex(10, 'zone')}.acm-validations.aws.",
    }
    return {"id": arn, "arn": arn, "domainValidationOptions": [option], "status": "PENDING_VALIDATION"}


def _route53_record(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"].rstrip(".")
    return {"id": f"{ctx.inputs['zoneId']}_{name}_{ctx.inputs['type']}", "fqdn": name}


def _certificate_validation(ctx: MockContext) -> dict[str, Any]:
    return {"id": "2026-12-01 00:00:00 +0000 UTC"}


def _ingress(ctx: MockContext) -> dict[str, Any]:
    # The load balancer controller writes the ALB's DNS name into the status; an IngressGroup's
    # Ingresses share one ALB, hence one name (`k8s-<group>-<hash>`, as the controller names it).
    # The group is the class's (its IngressClassParams set `group.name`) or the annotation's.
    annotations = (ctx.inputs.get("metadata") or {}).get("annotations") or {}
    group = (
        annotations.get("alb.ingress.kubernetes.io/group.name")
        or (ctx.inputs.get("spec") or {}).get("ingressClassName")
        or ctx.name
    )
    digest = hashlib.sha256(group.encode()).hexdigest()
    hostname = f"k8s-{group.replace('-', '')[:15]}-{digest[:10]}-{int(digest[10:19], 16) % 10**10}.{ctx.region}.elb.amazonaws.com"
    return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}


# Resource type token -> state added on top of the inputs.
RESOURCE_STATE: dict[str, Callable[[MockContext], dict[str, Any]]] = {
    "aws:ec2/vpc:Vpc": _ec2("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": _ec2("nat", "natgateway"),
    "aws:ec2/eip:Eip": _ec2("eipalloc", "elastic-ip"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc", "route-table-association"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _security_group,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/instanceProfile:InstanceProfile": _iam("instance-profile"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _service_linked_role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:kms/key:Key": _kms_key,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:autoscaling/group:Group": _autoscaling_group,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:opensearch/domain:Domain": _opensearch_domain,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:budgets/budget:Budget": _budget,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:acm/certificate:Certificate": _acm_certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _route53_record,
    "kubernetes:networking.k8s.io/v1:Ingress": _ingress,
}

# Remote components (pulumi-eks) and anything that needs synthetic children are answered by
# hooks that receive the monitor; see `mlp.mocks`.


def resource_state(type_: str, ctx: MockContext) -> tuple[str, dict[str, Any]]:
    """The (id, outputs) the mock engine returns for a new resource: its inputs as AWS would
    echo them, plus the attributes AWS computes."""
    computed = RESOURCE_STATE.get(type_)
    extra = computed(ctx) if computed else {}
    resource_id = extra.pop("id", None) or f"{ctx.name}-{ctx.hex(8)}"
    if type_.startswith("kubernetes:") and "metadata" in ctx.inputs:
        metadata = dict(ctx.inputs.get("metadata") or {})
        metadata.setdefault("name", f"{ctx.name}-{ctx.hex(8)}")
        extra["metadata"] = metadata
        namespace = metadata.get("namespace")
        resource_id = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    return resource_id, {**ctx.inputs, **extra}


ZONE_ID_PREFIX = {
    "us-east-1": "use1",
    "us-east-2": "use2",
    "us-west-1": "usw1",
    "us-west-2": "usw2",
    "ca-central-1": "cac1",
    "eu-west-1": "euw1",
    "eu-central-1": "euc1",
    "ap-northeast-1": "apne1",
    "ap-southeast-1": "apse1",
}
"""Zone ID prefixes as AWS spells them (the part before `-az`)."""
ZONE_NAME_TO_ID_NUMBER = {"a": 4, "b": 6, "c": 1, "d": 2, "e": 3, "f": 5}
"""This offline account's zone names -> zone ID numbers. AWS maps names to physical zones per
account, so `a` is not `az1` (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html);
the offline plan answers a shuffled mapping so nothing may assume they line up."""


def _zone_id_prefix(region: str) -> str:
    if region in ZONE_ID_PREFIX:
        return ZONE_ID_PREFIX[region]
    geography, direction, number = region.split("-")[0], region.split("-")[1], region.split("-")[-1]
    return f"{geography}{direction[0]}{number}"


def _availability_zones(region: str, _args: dict[str, Any]) -> dict[str, Any]:
    """Names and zone IDs as parallel lists, in name order, as EC2 answers them."""
    prefix = _zone_id_prefix(region)
    letters = sorted(ZONE_NAME_TO_ID_NUMBER)
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{prefix}-az{ZONE_NAME_TO_ID_NUMBER[letter]}" for letter in letters],
        "groupNames": [region] * len(letters),
    }


def _instance_type_offerings(region: str, args: dict[str, Any]) -> dict[str, Any]:
    """`aws.ec2.get_instance_type_offerings` by zone ID. The offline account has no catalogue of
    which zone offers which type, so it answers every asked type in every zone: the plan checks
    the choice's logic and its keys, and the real region's answer decides on `pulumi up`."""
    if args.get("locationType") != "availability-zone-id":
        raise UnmockedInvoke("the offline plan answers instance type offerings by availability-zone-id only")
    asked = [value for item in args.get("filters") or [] if item.get("name") == "instance-type" for value in item["values"]]
    zone_ids = _availability_zones(region, {})["zoneIds"]
    pairs = [(instance_type, zone_id) for instance_type in asked for zone_id in zone_ids]
    return {
        "id": region,
        "instanceTypes": [instance_type for instance_type, _ in pairs],
        "locations": [zone_id for _, zone_id in pairs],
        "locationTypes": ["availability-zone-id"] * len(pairs),
        "locationType": "availability-zone-id",
    }


DEPLOYER_ROLE = "ml-platform-deployer"
"""The role the offline plan's caller has assumed (the shipped stacks' `deployerRoleArn`)."""


def _caller_identity(_region: str, _args: dict[str, Any]) -> dict[str, Any]:
    # A deploy runs on temporary credentials: STS answers the session, not the role.
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/{DEPLOYER_ROLE}/mlp-plan",
        "userId": "AROAMLPLATFORMDEPLOYER:mlp-plan",
        "id": ACCOUNT_ID,
    }


def _session_context(_region: str, args: dict[str, Any]) -> dict[str, Any]:
    """`aws.iam.get_session_context`: for an assumed-role session, the role behind it (the
    provider reads its path with iam:GetRole; the offline roles have none); any other ARN is its
    own issuer (terraform-provider-aws `internal/service/iam/session_context_data_source.go`)."""
    arn = args["arn"]
    prefix = f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/"
    if not arn.startswith(prefix):
        return {"id": arn, "arn": arn, "issuerArn": arn, "issuerId": "", "issuerName": "", "sessionName": ""}
    role, _, session = arn.removeprefix(prefix).partition("/")
    return {
        "id": arn,
        "arn": arn,
        "issuerArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{role}",
        "issuerId": "AROAMLPLATFORMDEPLOYER",
        "issuerName": role,
        "sessionName": session,
    }


def _partition(_region: str, _args: dict[str, Any]) -> dict[str, Any]:
    return {"id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


def _region(region: str, _args: dict[str, Any]) -> dict[str, Any]:
    return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com"}


def _ssm_parameter(_region: str, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    digest = hashlib.sha256(name.encode()).hexdigest()
    value = f"ami-{digest[:17]}" if name.endswith("image_id") else f"mock-{digest[:12]}"
    # pulumi-aws 7 always marks `value` sensitive, whatever the parameter's type; only
    # `insecureValue` comes back in clear.
    return {"id": name, "name": name, "value": secret_wire_value(value), "insecureValue": value, "type": "String", "version": 1}


def _role(_region: str, args: dict[str, Any]) -> dict[str, Any]:
    # An account where the role exists; a service-linked role lives under its service's path.
    name = args["name"]
    path = "/aws-service-role/opensearchservice.amazonaws.com/" if name.startswith("AWSServiceRoleFor") else "/"
    arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}"
    return {"id": name, "name": name, "arn": arn, "path": path, "uniqueId": "AROAMLPLATFORMROLE0000"}


# Route 53 alias target zones of Application Load Balancers, from the ELB endpoints table
# (https://docs.aws.amazon.com/general/latest/gr/elb.html); the price table is us-east-1 only.
ALB_HOSTED_ZONES = {"us-east-1": "Z35SXDOTRQ7X7K"}


def _load_balancer_zone(region: str, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("loadBalancerType", "application") != "application":
        raise UnmockedInvoke(f"no mocked hosted zone for {args['loadBalancerType']} load balancers")
    region = args.get("region") or region
    if region not in ALB_HOSTED_ZONES:
        raise UnmockedInvoke(f"no mocked ALB hosted zone for {region}; add it to ALB_HOSTED_ZONES")
    return {"id": ALB_HOSTED_ZONES[region], "loadBalancerType": "application", "region": region}


INVOKES: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": _instance_type_offerings,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:iam/getRole:getRole": _role,
    "aws:lb/getHostedZoneId:getHostedZoneId": _load_balancer_zone,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
}


class UnmockedInvoke(Exception):
    """The program called a data source the offline plan does not know how to answer."""


def invoke_result(token: str, region: str, args: dict[str, Any]) -> dict[str, Any]:
    answer = INVOKES.get(token)
    if answer is None:
        raise UnmockedInvoke(
            f"the offline plan has no answer for invoke {token!r}; add one to mlp/mock_state.py"
        )
    return answer(region, args)
