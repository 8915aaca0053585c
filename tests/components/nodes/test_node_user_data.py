"""The nodeadm user data of self-managed nodes, pinned by a golden file.

Regenerate the golden after an intended change with:
    UPDATE_GOLDENS=1 uv run pytest tests/components/nodes/test_node_user_data.py
"""

import base64
import email
import os
from pathlib import Path

import yaml

from components.nodes.node_user_data import (
    NODEADM_CONTENT_TYPE,
    encode_user_data,
    node_user_data,
)
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, SPOT_TAINT

GOLDEN = Path(__file__).parent / "golden" / "worker_user_data.txt"

SPOT_POOL = dict(
    cluster_name="mlp-dev",
    api_server_endpoint="https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com",
    certificate_authority="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
    service_cidr="172.20.0.0/16",
    labels={POOL_LABEL: "spot", CAPACITY_LABEL: "spot"},
    taints=[SPOT_TAINT],
)


def test_user_data_matches_the_golden_file():
    text = node_user_data(**SPOT_POOL)
    if os.environ.get("UPDATE_GOLDENS"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "user data changed; regenerate with UPDATE_GOLDENS=1 if intended"


def _node_config(text: str) -> dict:
    message = email.message_from_string(text)
    assert message.is_multipart()
    (part,) = message.get_payload()
    assert part.get_content_type() == NODEADM_CONTENT_TYPE
    return yaml.safe_load(part.get_payload())


def test_a_mime_parser_finds_one_nodeadm_config_with_the_cluster_details():
    config = _node_config(node_user_data(**SPOT_POOL))
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    assert config["spec"]["cluster"] == {
        "name": "mlp-dev",
        "apiServerEndpoint": SPOT_POOL["api_server_endpoint"],
        "certificateAuthority": SPOT_POOL["certificate_authority"],
        "cidr": "172.20.0.0/16",
    }
    assert config["spec"]["kubelet"]["flags"] == [
        f"--node-labels={CAPACITY_LABEL}=spot,{POOL_LABEL}=spot",
        "--register-with-taints=ml-platform.io/spot=true:NoSchedule",
    ]


def test_an_on_demand_pool_registers_without_taints():
    config = _node_config(node_user_data(**{**SPOT_POOL, "taints": []}))
    assert not any(flag.startswith("--register-with-taints") for flag in config["spec"]["kubelet"]["flags"])


def test_launch_templates_get_it_base64_encoded():
    text = node_user_data(**SPOT_POOL)
    assert base64.b64decode(encode_user_data(text)).decode() == text
