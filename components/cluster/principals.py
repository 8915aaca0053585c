"""IAM principals as EKS access entries see them: one role or user whatever way its ARN is written."""

from __future__ import annotations

import re

_PRINCIPAL_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?:(?P<path>.*)/)?(?P<name>[^/]+)$"
)


def principal_key(arn: str) -> str:
    """What identifies an IAM principal whatever way its ARN is written: partition, account,
    kind and name, without the path (a role or user name is unique in its account whatever the
    path, and "names are not distinguished by case": IAM API `CreateRole`, `RoleName`,
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
    `arn:...:role/deployer` and the STS issuer ARN `arn:...:role/ci/deployer` are one role."""
    match = _PRINCIPAL_ARN.match(arn)
    if match is None:
        raise ValueError(f"{arn!r} is not an IAM role or user ARN")
    return f"{match['partition']}:{match['account']}:{match['kind']}/{match['name']}".lower()
