"""The cost model's quantity parser against the Kubernetes client's, and the grammar's edges."""

from decimal import Decimal

import pytest
from kubernetes.utils.quantity import parse_quantity as client_parse_quantity

from mlp.cost.quantity import parse_quantity

# Every form the program writes, and the grammar's other suffixes.
SAME_AS_CLIENT = [
    "0", "1", "2", "0.5", "1.5", ".5", "100m", "250m", "1500m", "5n", "7u", "1k", "3M", "2G",
    "1T", "1P", "1E", "64Mi", "128Mi", "300Mi", "512Mi", "1Gi", "1.5Gi", "2Ti", "1Pi", "1Ei",
    "1Ki", "+2", "-1", "12e3", "1E2", "5e-3",
]


@pytest.mark.parametrize("text", SAME_AS_CLIENT)
def test_agrees_with_the_kubernetes_client(text):
    assert parse_quantity(text) == client_parse_quantity(text)


def test_values_by_hand():
    assert parse_quantity("250m") == Decimal("0.25")
    assert parse_quantity("512Mi") == 512 * 2**20
    assert parse_quantity(2) == 2
    assert parse_quantity(0.25) == Decimal("0.25")


@pytest.mark.parametrize("text", ["", "Mi", "1.2.3", "10mi", "1ki", "1K", "1 Gi", "abc", "1Gb", "--1", "1e"])
def test_refuses_what_the_api_server_refuses(text):
    # apimachinery: suffixes are case-sensitive, "k" is the only kilo, no spaces or units of bytes.
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_refuses_booleans():
    with pytest.raises(ValueError):
        parse_quantity(True)
