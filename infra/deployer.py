"""Who runs `pulumi up`: the IAM principal the cluster must admit as an admin.

The Kubernetes provider installs every Helm release and Kubernetes object with the credentials of
whoever runs `pulumi up` (pulumi-eks's kubeconfig runs `aws eks get-token` with them). The cluster
has no creator-admin grant (`components.cluster.access_entries.disable_creator_admin`), so that
identity gets a cluster-admin access entry of its own, found here from the provider's credentials.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from infra.settings import ConfigError, ConfigProblem, stack_file_name

_ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[\w-]+):sts::(?P<account>\d{12}):assumed-role/")
_IAM_PRINCIPAL = re.compile(r"^arn:[\w-]+:iam::\d{12}:(role|user)/")
DEPLOYER_KEY = "ml-platform:cluster.deployerRoleArn"


class UnusableDeployer(ValueError):
    """The caller cannot be the principal of an access entry."""


def deployer_principal(caller_arn: str, issuer_arn: str) -> str:
    """The IAM principal an access entry names for the caller.

    An STS session cannot be an access entry's principal ("You can't use the STS session principal
    type with access entries", EKS API `CreateAccessEntry`,
    https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html); for an
    assumed role it is the role, which `aws.iam.get_session_context` answers with its path
    (`issuerArn`; for a caller that is not an assumed role it is the caller's own ARN). A role ARN
    may keep its path in an access entry, unlike in aws-auth
    (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html). The root user
    and federated-user sessions cannot be principals: refused, with what to do instead.
    """
    principal = issuer_arn if _ASSUMED_ROLE.match(caller_arn) else caller_arn
    if not _IAM_PRINCIPAL.match(principal):
        raise UnusableDeployer(
            f"`pulumi up` runs as {caller_arn}, which cannot be given an EKS access entry (only IAM "
            "roles and users can); run it as an IAM role, e.g. through `aws sts assume-role` or an SSO profile"
        )
    return principal


def resolve_deployer(provider: aws.Provider, stack: str, pinned_role_arn: str | None) -> str:
    """The principal running this update, from the provider's credentials.

    With `ml-platform:cluster.deployerRoleArn` set, that role is the deployer whoever previews:
    `pulumi up` as anyone else stops here, before anything is declared, so an update never swaps
    the access entry to another identity (and locks the intended deployer out). A preview only
    warns, because previews run with their own read-only role (see docs/delivery-and-policy.md).

    The same ambient credentials sign pulumi-eks's kubeconfig (`aws eks get-token`), so the
    principal found here is the one the API server sees. `get_session_context` reads the role's
    path with `iam:GetRole` (terraform-provider-aws
    `internal/service/iam/session_context_data_source.go`).
    """
    invoke = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=invoke)
    session = aws.iam.get_session_context(arn=caller.arn, opts=invoke)
    try:
        principal = deployer_principal(caller.arn, session.issuer_arn)
    except UnusableDeployer as exc:
        if pinned_role_arn is None:
            raise ConfigError(stack_file_name(stack), [ConfigProblem(DEPLOYER_KEY, str(exc))]) from None
        principal = caller.arn
    if pinned_role_arn is None:
        return principal
    if principal != pinned_role_arn:
        message = (
            f"this update runs as {principal}, not the stack's deployer; run `pulumi up` as that role "
            "or change the key to the role that deploys"
        )
        if not pulumi.runtime.is_dry_run():
            raise ConfigError(stack_file_name(stack), [ConfigProblem(DEPLOYER_KEY, message, pinned_role_arn, True)])
        pulumi.log.warn(f"{DEPLOYER_KEY}: {message} (preview only)")
    return pinned_role_arn
