"""The ml-platform program: what `pulumi up`, `mlp plan` and the tests all run.

Read top to bottom it is the platform's table of contents: settings, providers, then one block
per component. Logic lives in `components/` and `infra/settings/`.
"""

import pulumi

from components.alerting import Alerting, AlertingArgs
from components.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.eks_cluster import EksCluster
from components.metrics_server import MetricsServer, MetricsServerArgs
from components.network import Network, NetworkArgs
from infra.cluster_wiring import cluster_args, declare_worker_pools, pool_preferences
from infra.providers import account_id, availability_zones, declare_aws_provider
from infra.stack_config import read_settings
from infra.tags import platform_tags

stack = pulumi.get_stack()
settings = read_settings(stack)  # a bad stack file stops here, before anything is declared
tags = platform_tags(stack, settings)
aws_provider = declare_aws_provider(settings.region, tags)
on_aws = pulumi.ResourceOptions(providers=[aws_provider])

# --- Network: VPC, subnets per AZ, NAT, endpoints, flow logs ---------------------------------
network = Network(
    "network",
    NetworkArgs(
        region=settings.region,
        vpc_cidr=settings.network.vpc_cidr,
        availability_zones=availability_zones(aws_provider, settings.network.az_count),
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_enabled=settings.network.flow_logs.enabled,
        flow_log_traffic_type=settings.network.flow_logs.traffic_type,
        flow_log_retention_days=settings.network.flow_logs.retention_days,
    ),
    opts=on_aws,
)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)

# --- Alerting: the topic every alarm and budget alert goes to ---------------------------------
alerting = Alerting(
    "alerts",
    AlertingArgs(account_id=account_id(aws_provider), email_endpoints=settings.alerts.emails),
    opts=on_aws,
)
pulumi.export("alertTopicArn", alerting.topic_arn)

# --- Cluster: hardened EKS control plane, managed add-ons, on-demand system pool -------------
cluster_name = f"mlp-{stack}"
cluster = EksCluster(
    "cluster",
    cluster_args(settings.cluster, cluster_name, account_id(aws_provider), network, tags),
    opts=on_aws,
)
on_cluster = pulumi.ResourceOptions(providers=[aws_provider, cluster.kubernetes_provider], depends_on=[cluster])
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)

# --- Worker pools: self-managed mixed spot/on-demand groups, one per ml-platform:nodePools ----
worker_pools = declare_worker_pools(settings, cluster_name, cluster, network, tags, on_aws)

# --- Autoscaling: cluster-autoscaler (priority: spot-heavy first) and metrics-server --------
autoscaling = settings.cluster.autoscaling
autoscaler = ClusterAutoscaler(
    "autoscaler",
    ClusterAutoscalerArgs(
        cluster_name=cluster_name,
        kubernetes_version=cluster.kubernetes_version,
        region=settings.region,
        account_id=account_id(aws_provider),
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        pools=pool_preferences(settings, cluster_name),
        replicas=autoscaling.autoscaler_replicas,
        scale_down_unneeded_minutes=autoscaling.scale_down_unneeded_minutes,
        max_node_provision_minutes=autoscaling.max_node_provision_minutes,
    ),
    opts=on_cluster,
)
metrics_server = MetricsServer("metrics-server", MetricsServerArgs(replicas=autoscaling.metrics_server_replicas), opts=on_cluster)
