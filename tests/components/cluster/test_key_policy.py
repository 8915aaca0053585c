import pytest

from components.alerting.alerting import PUBLISHING_SERVICES, alert_key_policy
from components.cluster.control_plane_policies import secrets_key_policy
from components.cluster.key_policy import account_administered_key_policy
from components.search.search_domain import search_key_policy

ACCOUNT = "123456789012"


def test_the_account_administers_through_iam():
    (statement,) = account_administered_key_policy(ACCOUNT)["Statement"]
    assert statement["Sid"] == "AccountAdministers"
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_extra_statements_follow_in_order():
    first, second = {"Sid": "First"}, {"Sid": "Second"}
    sids = [s["Sid"] for s in account_administered_key_policy(ACCOUNT, first, second)["Statement"]]
    assert sids == ["AccountAdministers", "First", "Second"]


@pytest.mark.parametrize("policy", [secrets_key_policy, search_key_policy, alert_key_policy])
def test_every_platform_key_starts_from_the_account_statement(policy):
    document = policy(ACCOUNT)
    assert document["Statement"][0] == account_administered_key_policy(ACCOUNT)["Statement"][0], policy.__name__


def test_only_the_alert_key_admits_its_publishing_services():
    assert len(secrets_key_policy(ACCOUNT)["Statement"]) == 1
    assert len(search_key_policy(ACCOUNT)["Statement"]) == 1
    _, publishers = alert_key_policy(ACCOUNT)["Statement"]
    assert publishers["Principal"] == {"Service": list(PUBLISHING_SERVICES)}
    assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
