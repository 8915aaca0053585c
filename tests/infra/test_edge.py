"""The shared internet-facing ALB as each stack plans it: its IngressClassParams (checked
against the CRD the chart ships), who may join its IngressGroup, its attributes (checked against
AWS's ELBv2 API model), its access-log bucket, and the pod webhook's failure policy."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from components.edge.load_balancer_controller import ingress_class_params_spec
from components.services.service_spec import READINESS_GATE_INJECT_LABEL
from mlp.plan import PROJECT_DIR

CRD_SCHEMA = json.loads((PROJECT_DIR / "tests" / "data" / "ingressclassparams-crd-3.5.0.json").read_text())
RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ATTRIBUTES_ANNOTATION = "alb.ingress.kubernetes.io/load-balancer-attributes"


def controller_values(inventory) -> dict:
    (release,) = [r for r in inventory.of_type(RELEASE) if r.inputs.get("chart") == "aws-load-balancer-controller"]
    return release.inputs["values"]


def class_params(inventory) -> dict:
    return controller_values(inventory)["ingressClassParams"]["spec"]


def alb_attribute_keys() -> set[str]:
    """The load balancer attribute keys AWS's ELBv2 API documents, from botocore's model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("elbv2")
    documentation = model.shape_for("LoadBalancerAttribute").members["Key"].documentation
    return set(re.findall(r"<code>([a-z0-9_.]+\.[a-z0-9_.]+)</code>", documentation))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_ingress_class_params_validate_against_the_charts_crd(plan, stack):
    spec = class_params(plan(stack))
    jsonschema.validate({"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "IngressClassParams",
                         "metadata": {"name": "alb"}, "spec": spec}, CRD_SCHEMA)
    assert controller_values(plan(stack))["ingressClassParams"]["name"] == controller_values(plan(stack))["ingressClass"]


def test_the_crd_schema_catches_a_wrong_field():
    wrong = {"spec": {"namespaceSelector": {"matchLabels": {"a": "b"}}, "scheme": "public"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, CRD_SCHEMA)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_the_exposed_services_namespaces_may_join_the_group(plan, stack):
    inventory = plan(stack, images="pinned")  # with its workloads, hence its Ingresses
    spec = class_params(inventory)
    (requirement,) = spec["namespaceSelector"]["matchExpressions"]
    assert requirement["key"] == "kubernetes.io/metadata.name" and requirement["operator"] == "In"
    ingress_namespaces = sorted(r.inputs["metadata"]["namespace"] for r in inventory.of_type(INGRESS))
    assert requirement["values"] == ingress_namespaces and ingress_namespaces
    assert spec["group"] == {"name": "ml-platform-public"} and spec["scheme"] == "internet-facing"
    for ingress in inventory.of_type(INGRESS):
        assert ingress.inputs["spec"]["ingressClassName"] == controller_values(inventory)["ingressClass"]


def test_no_exposed_service_admits_no_namespace():
    (requirement,) = ingress_class_params_spec(group="g", member_namespaces=(), attributes={})[
        "namespaceSelector"]["matchExpressions"]
    assert requirement == {"key": "kubernetes.io/metadata.name", "operator": "DoesNotExist"}


@pytest.mark.parametrize(("stack", "protected"), [("dev", "false"), ("prod", "true")])
def test_the_alb_attributes_are_set_once_for_the_group(plan, stack, protected):
    inventory = plan(stack)
    attributes = {item["key"]: item["value"] for item in class_params(inventory)["loadBalancerAttributes"]}
    assert set(attributes) <= alb_attribute_keys(), set(attributes) - alb_attribute_keys()
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == protected
    (bucket,) = inventory.of_type("aws:s3/bucket:Bucket")
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == inventory.outputs["albAccessLogBucket"]
    assert attributes["access_logs.s3.bucket"].startswith(bucket.inputs["bucketPrefix"])
    assert "AWSLogs" not in attributes["access_logs.s3.prefix"]
    for ingress in inventory.of_type(INGRESS):
        assert ATTRIBUTES_ANNOTATION not in ingress.inputs["metadata"].get("annotations", {}), ingress.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_access_log_bucket_is_private_sse_s3_expiring_and_written_by_elb_only(plan, stack):
    inventory = plan(stack)
    (encryption,) = inventory.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    # ALB access logs support SSE-S3 only (ELB user guide, enable-access-logging.html, Step 1).
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    (block,) = inventory.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[key] for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (lifecycle,) = inventory.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == {"dev": 14, "prod": 90}[stack]
    (policy,) = inventory.of_type("aws:s3/bucketPolicy:BucketPolicy")
    document = json.loads(policy.inputs["policy"])
    allow = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert [s["Action"] for s in allow] == ["s3:PutObject"]
    # us-east-1 opened before August 2022: ELB delivers as its regional account there.
    assert allow[0]["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert allow[0]["Resource"].endswith("/alb/AWSLogs/123456789012/*")
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in document["Statement"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_pod_webhook_fails_closed_for_the_exposed_services_pods_only(plan, stack):
    inventory = plan(stack)
    values = controller_values(inventory)
    assert values["podMutatorWebhookConfig"] == {"failurePolicy": "Fail"}
    assert values["objectSelector"] == {"matchLabels": {READINESS_GATE_INJECT_LABEL: "enabled"}}
    exposed = {r.inputs["metadata"]["namespace"] for r in inventory.of_type(INGRESS)}
    for deployment in inventory.of_type("kubernetes:apps/v1:Deployment"):
        labels = deployment.inputs["spec"]["template"]["metadata"]["labels"]
        labelled = labels.get(READINESS_GATE_INJECT_LABEL) == "enabled"
        assert labelled == (deployment.inputs["metadata"]["namespace"] in exposed), deployment.name


def test_without_access_logs_there_is_no_bucket_and_the_attribute_says_off(scratch_project, stack_document):
    import yaml

    from mlp.plan import build_inventory

    document = stack_document("prod")
    document["config"]["ml-platform:loadBalancer"] = {"accessLogs": {"enabled": False}}
    inventory = build_inventory("prod", scratch_project("prod", yaml.safe_dump(document, sort_keys=False)))
    assert inventory.of_type("aws:s3/bucket:Bucket") == []
    attributes = {item["key"]: item["value"] for item in class_params(inventory)["loadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "false" and "access_logs.s3.bucket" not in attributes
    assert attributes["deletion_protection.enabled"] == "true", "prod keeps the default"
