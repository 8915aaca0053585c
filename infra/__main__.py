"""The ml-platform program: what `pulumi up`, `mlp plan` and the tests all run.

Read top to bottom it is the platform's table of contents: settings, providers, then one block
per component. Logic lives in `components/` and `infra/settings/`.
"""

import pulumi

from components.alerting import Alerting, AlertingArgs
from components.cost_controls import CostControls, CostControlsArgs
from components.network import Network, NetworkArgs
from components.search_domain import SearchDomain, SearchDomainArgs, search_domain_arn
from infra.providers import account_id, availability_zones, declare_aws_provider
from infra.stack_config import read_settings
from infra.tags import COST_ALLOCATION_TAG_KEYS, platform_tags

stack = pulumi.get_stack()
settings = read_settings(stack)  # a bad stack file stops here, before anything is declared
tags = platform_tags(stack, settings)
aws_provider = declare_aws_provider(settings.region, tags)
on_aws = pulumi.ResourceOptions(providers=[aws_provider])
account = account_id(aws_provider)

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
    AlertingArgs(account_id=account, email_endpoints=settings.alerts.emails),
    opts=on_aws,
)
pulumi.export("alertTopicArn", alerting.topic_arn)

# --- Search: the autocomplete domain, private, encrypted, alarmed ------------------------------
search_domain_name = f"mlp-{stack}-search"
search_arn = search_domain_arn(settings.region, account, search_domain_name)  # services' IAM policies
search = SearchDomain(
    "search",
    SearchDomainArgs(
        domain_name=search_domain_name,
        region=settings.region,
        account_id=account,
        engine_version=settings.search.engine_version,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        # connected to the cluster SGs / service roles when those land (empty: no ingress, access denied)
        client_security_group_ids=[],
        access_role_arns=[],
        alarm_topic_arn=alerting.topic_arn,
        sizing=settings.search.sizing(),
        auto_tune=settings.search.auto_tune,
        off_peak_window_start_hour_utc=settings.search.off_peak_window_start_hour_utc,
        log_retention_days=settings.search.log_retention_days,
        fine_grained_access_master_role_arn=settings.search.fine_grained_access.active_master_role(),
        create_service_linked_role=settings.search.create_service_linked_role,
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
