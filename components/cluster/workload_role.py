"""An IAM role a Kubernetes service account assumes through the cluster's OIDC provider (IRSA)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> dict:
    """Only the named service account of this cluster may assume the role: `sub` pins the
    account and `aud` pins the STS audience, as AWS recommends for IRSA."""
    issuer = oidc_issuer.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


@dataclass(frozen=True, kw_only=True)
class WorkloadRoleArgs:
    """Inputs of `WorkloadRole`."""

    oidc_provider_arn: pulumi.Input[str]
    """ARN of the cluster's IAM OIDC provider."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL (with or without `https://`)."""
    namespace: str
    """Namespace of the service account."""
    service_account: str
    """Name of the service account."""
    inline_policies: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Policy documents (JSON text) by name, attached inline. Default none."""
    managed_policy_arns: Sequence[str] = ()
    """AWS-managed policies to attach, where AWS maintains the least-privilege set (e.g. the
    VPC CNI's). Default none."""
    description: str = ""
    """Role description. Default empty."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the role, on top of the provider's default tags (e.g. `service`). Default none."""


class WorkloadRole(pulumi.ComponentResource):
    """An IRSA role for one service account.

    Creates the role with a trust policy pinned to `system:serviceaccount:<ns>:<sa>`, one inline
    policy per entry in `inline_policies` and one attachment per managed policy. Consumers
    annotate the service account with `role_arn` (`eks.amazonaws.com/role-arn`).
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:WorkloadRole", name, None, opts)
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda values: json.dumps(irsa_trust_policy(values[0], values[1], args.namespace, args.service_account))
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust,
            description=args.description or f"IRSA role for {args.namespace}/{args.service_account}",
            max_session_duration=3600,
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy_name, document in args.inline_policies.items():
            aws.iam.RolePolicy(
                f"{name}-{policy_name}",
                role=role.id,
                policy=document,
                opts=pulumi.ResourceOptions(parent=role),
            )
        for index, policy_arn in enumerate(args.managed_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-managed-{index}",
                role=role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=role),
            )
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"role_arn": self.role_arn, "role_name": self.role_name})
