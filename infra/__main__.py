"""The ml-platform program: what `pulumi up`, `mlp plan` and the tests all run.

Read top to bottom it is the platform's table of contents: settings, providers, then one block
per component, in dependency order. Logic lives in `components/` and `infra/settings/`.
"""

import pulumi

from components.alerting.alerting import Alerting, AlertingArgs
from components.capacity.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.cluster.eks_cluster import EksCluster
from components.cluster.metrics_server import MetricsServer, MetricsServerArgs
from components.cost.cost_controls import CostControls, CostControlsArgs
from components.edge.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
    load_balancer_attributes,
)
from components.edge.load_balancer_logs import LoadBalancerLogs, LoadBalancerLogsArgs
from components.interruption.interruption_handling import (
    MANAGED_INSTANCE_TAGS,
    InterruptionHandling,
    InterruptionHandlingArgs,
    WorkerGroup,
)
from components.network.network import DeployerRoute, Network, NetworkArgs
from components.network.subnet_plan import plan_subnets
from components.search.search_domain import SearchDomain, SearchDomainArgs, search_domain_arn
from infra.cluster_wiring import (
    cluster_args,
    declare_gpu_support,
    declare_worker_pools,
    pool_instance_types,
    pool_preferences,
)
from infra.deployer import resolve_deployer
from infra.karpenter_wiring import declare_karpenter, discovery_subnet_tags
from infra.providers import (
    account_id,
    availability_zones,
    declare_aws_provider,
    declare_eks_provider,
)
from infra.services import declare_ml_services, exposed_namespaces
from infra.stack_config import read_settings
from infra.tags import COST_ALLOCATION_TAG_KEYS, platform_tags

stack = pulumi.get_stack()
settings = read_settings(stack)  # a bad stack file stops here, before anything is declared
tags = platform_tags(stack, settings)
aws_provider = declare_aws_provider(settings.region, tags)
on_aws = pulumi.ResourceOptions(providers=[aws_provider])
account = account_id(aws_provider)
cluster_name = f"mlp-{stack}"
# ml-platform:cluster.capacityEngine: what launches worker nodes (docs/karpenter.md).
karpenter = settings.uses_karpenter
# Who runs this update: it gets a cluster-admin access entry (an unusable caller stops here).
deployer = resolve_deployer(aws_provider, stack, settings.cluster.deployer_role_arn)

# --- Network: VPC, subnets per AZ, NAT, endpoints, flow logs ---------------------------------
# Zones by ID (pinned or chosen), as this account names them; an impossible choice stops here.
zones = availability_zones(
    aws_provider,
    stack,
    settings.network.az_count,
    settings.network.availability_zone_ids,
    pool_instance_types(settings),
)
network = Network(
    "network",
    NetworkArgs(
        region=settings.region,
        vpc_cidr=settings.network.vpc_cidr,
        availability_zones=zones,
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_enabled=settings.network.flow_logs.enabled,
        flow_log_traffic_type=settings.network.flow_logs.traffic_type,
        flow_log_retention_days=settings.network.flow_logs.retention_days,
        deployer_routes=[
            DeployerRoute(
                cidr=route.cidr,
                transit_gateway_id=route.transit_gateway_id,
                vpc_peering_connection_id=route.vpc_peering_connection_id,
            )
            for route in settings.network.deployer_routes
        ],
        private_subnet_tags=discovery_subnet_tags(settings, cluster_name),
    ),
    opts=on_aws,
)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)

# --- Alerting: the topic every alarm and budget alert goes to ---------------------------------
alerting = Alerting(
    "alerts",
    AlertingArgs(account_id=account, email_endpoints=settings.alerts.emails),
    opts=on_aws,
)
pulumi.export("alertTopicArn", alerting.topic_arn)

# --- Cluster: hardened EKS control plane, managed add-ons, on-demand system pool -------------
cluster = EksCluster(
    "cluster",
    cluster_args(settings.cluster, cluster_name, account, network, tags, deployer),
    # pulumi-eks's remote component takes the `eks` provider; its AWS children the AWS one.
    opts=pulumi.ResourceOptions(providers=[aws_provider, declare_eks_provider()]),
)
on_cluster = pulumi.ResourceOptions(providers=[aws_provider, cluster.kubernetes_provider], depends_on=[cluster])
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)

# --- Worker pools: self-managed mixed spot/on-demand groups, per ml-platform:nodePools and zone
# Only these groups carry the termination handler's managed tag: the EKS-managed system pool is
# drained by EKS itself, so the handler must never act on it.
worker_pools = {} if karpenter else declare_worker_pools(
    settings,
    cluster_name,
    cluster,
    network,
    tags,
    on_aws,
    extra_instance_tags=MANAGED_INSTANCE_TAGS if settings.interruption.enabled else None,
)

# --- GPU: with ml-platform:cluster.gpuPool, the NVIDIA device plugin on the GPU pool ---------
gpu_support = declare_gpu_support(settings, on_cluster)

# --- Autoscaling: cluster-autoscaler (priority: spot-heavy first) and metrics-server --------
autoscaling = settings.cluster.autoscaling
autoscaler = None if karpenter else ClusterAutoscaler(
    "autoscaler",
    ClusterAutoscalerArgs(
        cluster_name=cluster_name,
        kubernetes_version=cluster.kubernetes_version,
        region=settings.region,
        account_id=account,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        pools=pool_preferences(settings, cluster_name, network.availability_zones),
        replicas=autoscaling.autoscaler_replicas,
        scale_down_unneeded_minutes=autoscaling.scale_down_unneeded_minutes,
        max_node_provision_minutes=autoscaling.max_node_provision_minutes,
    ),
    opts=on_cluster,
)
metrics_server = MetricsServer("metrics-server", MetricsServerArgs(replicas=autoscaling.metrics_server_replicas), opts=on_cluster)

# --- Interruption handling: spot notices -> queue -> node termination handler ---------------
webhook_url = settings.interruption.webhook_url
interruption = None if karpenter else InterruptionHandling(
    "interruption",
    InterruptionHandlingArgs(
        enabled=settings.interruption.enabled,
        cluster_name=cluster.cluster_name,
        region=settings.region,
        worker_groups={
            name: WorkerGroup(
                asg_names=pool.asg_names,
                asg_arns=pool.asg_arns,
                notice_alarm_threshold=settings.notice_alarm_threshold(name),
                carries_spot=pool.carries_spot,
                capacity_rebalance=pool.capacity_rebalance,
            )
            for name, pool in worker_pools.items()
        },
        kubernetes_provider=cluster.kubernetes_provider,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        alarm_topic_arn=alerting.topic_arn,
        drain_budget=settings.interruption.drain_budget(),
        queue_age_alarm_seconds=settings.interruption.queue_age_alarm_seconds,
        notice_alarm_period_seconds=settings.interruption.notice_alarm.period_minutes * 60,
        webhook_url=pulumi.Output.secret(webhook_url.get_secret_value()) if webhook_url else None,
    ),
    opts=on_cluster,
)
if interruption is not None and interruption.queue_url is not None:
    pulumi.export("interruptionQueueUrl", interruption.queue_url)

# --- Karpenter (capacityEngine: karpenter): controller, NodePools, its interruption queue -----
if karpenter:
    karpenter_capacity = declare_karpenter(
        settings,
        cluster_name=cluster_name,
        cluster=cluster,
        account_id=account,
        cost_tags=tags,
        alarm_topic_arn=alerting.topic_arn,
        on_aws=on_aws,
        on_cluster=on_cluster,
    )
    if karpenter_capacity.interruption is not None:
        pulumi.export("interruptionQueueUrl", karpenter_capacity.interruption.queue_url)

# --- ML services: the ALB's log bucket, the ALB controller, then one MlService per service ---
edge = settings.load_balancer
access_logs = None
if edge.access_logs.enabled:
    access_logs = LoadBalancerLogs(
        "alb-logs",
        LoadBalancerLogsArgs(
            bucket_prefix=f"mlp-{stack}-alb-logs-",
            account_id=account,
            region=settings.region,
            retention_days=edge.access_logs.retention_days,
            force_destroy=not edge.deletion_protection,
        ),
        opts=on_aws,
    )
    pulumi.export("albAccessLogBucket", access_logs.bucket_name)
load_balancer_controller = LoadBalancerController(
    "load-balancer-controller",
    LoadBalancerControllerArgs(
        kubernetes_provider=cluster.kubernetes_provider,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        cluster_name=cluster.cluster_name,
        vpc_id=network.vpc_id,
        region=settings.region,
        account_id=account,
        member_namespaces=exposed_namespaces(settings),
        load_balancer_attributes=load_balancer_attributes(
            deletion_protection=edge.deletion_protection,
            access_log_bucket=access_logs.bucket_name if access_logs else None,
            access_log_prefix=access_logs.prefix if access_logs else "",
        ),
    ),
    opts=on_cluster,
)
# The search domain's ARN is known from its name, so services' roles can be granted it before
# the domain (whose access policy names those roles) is declared.
search_domain_name = f"mlp-{stack}-search"
search_arn = search_domain_arn(settings.region, account, search_domain_name)
zone_subnets = plan_subnets(settings.network.vpc_cidr, network.availability_zones)
services = declare_ml_services(
    settings,
    kubernetes_provider=cluster.kubernetes_provider,
    oidc_provider_arn=cluster.oidc_provider_arn,
    oidc_issuer=cluster.oidc_issuer,
    search_domain_arn=search_arn,
    public_cidrs=[zone.public_cidr for zone in zone_subnets],
    opts=pulumi.ResourceOptions(
        providers=[aws_provider, cluster.kubernetes_provider],
        depends_on=[load_balancer_controller],
    ),
)

# --- Search: the autocomplete domain, private, encrypted, alarmed ------------------------------
search = SearchDomain(
    "search",
    SearchDomainArgs(
        domain_name=search_domain_name,
        region=settings.region,
        account_id=account,
        engine_version=settings.search.engine_version,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        client_security_group_ids=[cluster.cluster_security_group_id],  # every node and pod carries it
        access_role_arns=[services[name].role_arn for name, service in settings.services.items() if service.search],
        alarm_topic_arn=alerting.topic_arn,
        sizing=settings.search.sizing(),
        auto_tune=settings.search.auto_tune,
        off_peak_window_start_hour_utc=settings.search.off_peak_window_start_hour_utc,
        log_retention_days=settings.search.log_retention_days,
        fine_grained_access_master_role_arn=settings.search.fine_grained_access.active_master_role(),
        service_linked_role=settings.search.service_linked_role,
    ),
    opts=on_aws,
)
pulumi.export("searchEndpoint", search.endpoint)
pulumi.export("searchDomainArn", search.domain_arn)

# --- Cost controls: the environment's budget and the cost allocation tags it filters on -------
cost_controls = CostControls(
    "cost",
    CostControlsArgs(
        environment=stack,
        monthly_budget_usd=settings.cost.monthly_budget_usd,
        alert_topic_arn=alerting.topic_arn,
        budget_emails=settings.cost.budget_emails,
        cost_allocation_tag_keys=COST_ALLOCATION_TAG_KEYS if settings.cost.activate_cost_allocation_tags else (),
    ),
    opts=on_aws,
)
pulumi.export("budgetName", cost_controls.budget_name)
