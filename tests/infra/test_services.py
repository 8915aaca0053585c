"""The services each stack configures, declared through `infra.services` exactly as the program
does, and the Kubernetes objects of the planned stacks: schema-valid, passing checkov, slim."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.network.subnet_plan import plan_subnets
from infra.services import callees_of, declare_ml_services
from infra.settings import load_settings
from mlp.footprint import footprint
from mlp.plan import PROJECT_DIR, Inventory
from tests.conftest import pin_images
from tests.kubernetes_checks import (
    CHECKOV_CONFIG,
    KUBECONFIG,
    checkov_available,
    kubernetes_version,
    run_checkov,
    schema_problems,
    write_objects,
)

STACKS = ("dev", "prod")
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"


def _settings(stack: str):
    """The stack's settings with its images pinned (`tests/data/pinned-images.yaml`), so every
    service declares its workload."""
    document = pin_images(yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()), stack)
    config = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in document["config"].items()}
    return load_settings(stack, config)


@pytest.fixture(scope="session")
def stack_services() -> Callable[[str], Inventory]:
    """Each stack's configured services, declared by `declare_ml_services` with a cluster
    provider built from a kubeconfig (the cluster itself is another component), once per session."""
    from mlp.plan import declare_offline

    cache: dict[str, Inventory] = {}

    def _declare(stack: str) -> Inventory:
        if stack not in cache:
            settings = _settings(stack)
            zones = [f"{settings.region}{letter}" for letter in "abc"[: settings.network.az_count]]
            subnets = plan_subnets(settings.network.vpc_cidr, zones)

            def build() -> None:
                provider = aws.Provider("aws", region=settings.region)
                cluster = k8s.Provider("k8s", kubeconfig=KUBECONFIG)
                declare_ml_services(
                    settings,
                    kubernetes_provider=cluster,
                    oidc_provider_arn=OIDC_ARN,
                    oidc_issuer=OIDC_ISSUER,
                    search_domain_arn=f"arn:aws:es:{settings.region}:123456789012:domain/mlp-{stack}-search",
                    public_cidrs=[s.public_cidr for s in subnets],
                    opts=pulumi.ResourceOptions(providers=[provider]),
                )

            cache[stack] = declare_offline(build, project="ml-platform", stack=stack, region=settings.region)
        return cache[stack]

    return _declare


@pytest.mark.parametrize("stack", STACKS)
def test_configured_services_validate_strictly(stack, stack_services):
    inventory = stack_services(stack)
    objects = [r.inputs for r in inventory.kubernetes_objects()]
    kinds = {o["kind"] for o in objects}
    assert {"Namespace", "ServiceAccount", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "PriorityClass"} <= kinds
    assert schema_problems(objects, kubernetes_version(inventory)) == []


@pytest.mark.parametrize("images", ["shipped", "pinned"])
@pytest.mark.parametrize("stack", STACKS)
def test_planned_stack_objects_validate_strictly(stack, images, plan):
    """Every Kubernetes object `mlp plan --manifests` writes for the stack, on its first deploy
    and with its images pinned."""
    inventory = plan(stack, images=images)
    objects = [r.inputs for r in inventory.kubernetes_objects()]
    assert objects, f"{stack} declares no Kubernetes objects: the services are wired to the cluster in the program"
    assert schema_problems(objects, kubernetes_version(inventory)) == []


def test_dev_at_idle_runs_no_more_pods_than_services(stack_services):
    result = footprint(stack_services("dev"))
    assert result.services == 4
    assert result.pods <= result.services, f"dev idles with {result.pods} pods for {result.services} services"


def test_prod_keeps_two_pods_per_workload_spread_over_zones(stack_services):
    inventory = stack_services("prod")
    result = footprint(inventory)
    assert all(w.pods >= 2 for w in result.workloads), result.workloads
    for budget in inventory.of_type("kubernetes:policy/v1:PodDisruptionBudget"):
        assert budget.inputs["spec"].get("minAvailable", 0) >= 1, f"{budget.name} lets a drain take every pod"


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_names_a_declared_priority_class(stack, stack_services):
    inventory = stack_services(stack)
    declared = {c.inputs["metadata"]["name"] for c in inventory.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")}
    assert len(declared) == 2
    for deployment in inventory.of_type("kubernetes:apps/v1:Deployment"):
        assert deployment.inputs["spec"]["template"]["spec"]["priorityClassName"] in declared, deployment.name


def test_only_search_users_can_query_the_domain(stack_services):
    for stack in STACKS:
        settings = _settings(stack)
        inventory = stack_services(stack)
        for policy in inventory.of_type("aws:iam/rolePolicy:RolePolicy"):
            service = policy.name.removesuffix("-role-access")
            actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in s["Action"]}
            assert ("es:ESHttpGet" in actions) == settings.services[service].search, f"{stack}/{service}: {actions}"


def test_callers_can_reach_their_callees_and_back(stack_services):
    """The two halves of each declared call: egress in the caller's namespace, ingress in the callee's."""
    settings = _settings("prod")
    inventory = stack_services("prod")
    policies = {
        (p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]): p.inputs["spec"]
        for p in inventory.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    for callee, service in settings.services.items():
        for caller in service.callers:
            assert callee in callees_of(caller, settings.services)
            egress = policies[(caller, "allow-callees")]["egress"]
            assert any(rule["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == callee for rule in egress)
            ingress = policies[(callee, "allow-ingress")]["ingress"][0]["from"]
            assert any(peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == caller for peer in ingress)


def test_checkov_skips_have_a_reason_each():
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    lines = CHECKOV_CONFIG.read_text().splitlines()
    for check in config.get("skip-check", []):
        (line,) = [line for line in lines if line.strip().startswith(f"- {check}")]
        reason = line.partition("#")[2].strip()
        assert len(reason) > 30, f"{check} is skipped without a reason"


@pytest.mark.external
def test_rendered_manifests_pass_checkov(stack_services, plan, tmp_path: Path):
    reason = checkov_available()
    if reason:
        pytest.skip(reason)
    for stack in STACKS:
        write_objects([r.inputs for r in stack_services(stack).kubernetes_objects()], tmp_path / f"services-{stack}")
        write_objects([r.inputs for r in plan(stack).kubernetes_objects()], tmp_path / f"stack-{stack}")
        write_objects([r.inputs for r in plan(stack, images="pinned").kubernetes_objects()], tmp_path / f"pinned-{stack}")
    report = run_checkov(tmp_path)
    assert report["summary"]["resource_count"] > 0, "checkov scanned nothing"
    assert report["summary"]["parsing_errors"] == 0
    failed = [f"{c['check_id']} {c['resource']} ({c['check_name']})" for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)


# --- the first deploy: what a fresh account can converge on ----------------------------------


def _repository_of(image: str) -> str:
    """`<registry>/<repository>@sha256:...` or `<registry>/<repository>:<tag>` -> `<repository>`."""
    path = image.split("/", 1)[1]
    return path.split("@", 1)[0] if "@" in path else path.rsplit(":", 1)[0]


def test_a_first_deploy_runs_no_image_from_a_repository_it_creates(stack_inventory):
    """On a fresh account the stack's ECR repositories are created by the same update, empty: a
    Deployment pulling from one never becomes ready and the update times out on its await."""
    created = {r.inputs["name"] for r in stack_inventory.of_type("aws:ecr/repository:Repository")}
    assert created, "the stack declares its services' repositories"
    for deployment in stack_inventory.of_type("kubernetes:apps/v1:Deployment"):
        for container in deployment.inputs["spec"]["template"]["spec"]["containers"]:
            assert _repository_of(container["image"]) not in created, (
                f"{deployment.name} pulls {container['image']} on the update that creates its repository"
            )


def test_the_pinned_stacks_pull_from_their_own_repositories(pinned_inventory):
    """The counterpart: once pinned, every service image comes from a repository the stack owns."""
    created = {r.inputs["name"] for r in pinned_inventory.of_type("aws:ecr/repository:Repository")}
    pulled = {
        _repository_of(container["image"])
        for deployment in pinned_inventory.of_type("kubernetes:apps/v1:Deployment")
        if deployment.inputs["metadata"]["namespace"] in {name.split("/")[-1] for name in created}
        for container in deployment.inputs["spec"]["template"]["spec"]["containers"]
    }
    assert pulled == created


def test_every_https_ingress_names_a_certificate_that_is_issued_before_it(pinned_inventory):
    """The load balancer controller cannot build an HTTPS listener without a certificate; one
    the stack requests must be ISSUED (its CertificateValidation) before the Ingress exists."""
    validations = {
        r.inputs["certificateArn"]: r.urn
        for r in pinned_inventory.of_type("aws:acm/certificateValidation:CertificateValidation")
    }
    ingresses = [r for r in pinned_inventory.kubernetes_objects() if r.inputs["kind"] == "Ingress"]
    assert ingresses, f"{pinned_inventory.stack} exposes no service"
    for ingress in ingresses:
        annotations = ingress.inputs["metadata"]["annotations"]
        assert "HTTPS" in annotations["alb.ingress.kubernetes.io/listen-ports"]
        arn = annotations.get("alb.ingress.kubernetes.io/certificate-arn")
        assert arn, f"{ingress.name} has a TLS host and no certificate"
        assert validations.get(arn) in ingress.dependencies, f"{ingress.name} does not wait for its certificate's validation"
