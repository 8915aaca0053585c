"""`MlService` under the recording mocks: what it declares, its IAM and ECR settings, and every
Kubernetes object it renders validated against the API schema."""

from __future__ import annotations

import json
import re

import boto3
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from moto import mock_aws

from components.services.ml_service import (
    CACHE_TAG,
    RELEASE_TAG_PREFIX,
    MlService,
    MlServiceArgs,
    repository_lifecycle_policy,
)
from components.services.ml_service_access import model_read_statement, search_read_statement
from components.services.service_spec import ServiceSpec, Variant
from tests.kubernetes_checks import DEFAULT_KUBERNETES_VERSION, KUBECONFIG, schema_problems

OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
DOMAIN_ARN = "arn:aws:es:us-east-1:123456789012:domain/mlp-unit-search"
DIGEST = "sha256:" + "c" * 64


ZONE = "Z0123456789ABCDEFGHIJ"


def declare_service(declare, spec: ServiceSpec, statements=(), **args):
    """`MlService` under the mocks; an exposed one gets its certificate in the zone `ZONE`
    unless `args` say otherwise."""
    args.setdefault("hosted_zone_id", ZONE)

    def build():
        cluster = k8s.Provider("k8s", kubeconfig=KUBECONFIG)
        provider = aws.Provider("aws", region="us-east-1")
        MlService(
            spec.name,
            MlServiceArgs(
                spec=spec,
                kubernetes_provider=cluster,
                oidc_provider_arn=OIDC_ARN,
                oidc_issuer=OIDC_ISSUER,
                repository_name=f"ml-platform-unit/{spec.name}",
                policy_statements=[statement() for statement in statements],
                **args,
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return declare(build)


def autocomplete(**overrides) -> ServiceSpec:
    values = dict(
        name="search-autocomplete",
        variants=(Variant(digest=DIGEST),),
        exposed="public",
        host="autocomplete.example.com",
        load_balancer_cidrs=("10.40.192.0/22", "10.40.196.0/22"),
        aws_api_egress=True,
        callers=("discovery",),
        replicas_min=2,
        replicas_max=4,
    )
    values.update(overrides)
    return ServiceSpec(**values)


SEARCH = (lambda: search_read_statement(pulumi.Output.from_input(DOMAIN_ARN)),)


def test_every_kubernetes_object_validates_strictly(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    objects = [r.inputs for r in inventory.kubernetes_objects()]
    assert len(objects) >= 10
    assert schema_problems(objects, DEFAULT_KUBERNETES_VERSION) == []


def test_kubernetes_objects_use_the_given_provider_and_stay_in_the_namespace(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (provider,) = inventory.of_type("pulumi:providers:kubernetes")
    for obj in inventory.kubernetes_objects():
        assert obj.provider == provider.urn, f"{obj.name} does not use the cluster provider"
        if obj.inputs["kind"] != "Namespace":
            assert obj.inputs["metadata"]["namespace"] == "search-autocomplete", obj.name


def test_repository_is_immutable_scanned_encrypted_and_pruned(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (repository,) = inventory.of_type("aws:ecr/repository:Repository")
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository.inputs["imageTagMutabilityExclusionFilters"] == [{"filter": CACHE_TAG, "filterType": "WILDCARD"}]
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] in ("KMS", "AES256")
    (lifecycle,) = inventory.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    rules = json.loads(lifecycle.inputs["policy"])["rules"]
    assert rules == repository_lifecycle_policy(50, 7)["rules"], "the component declares the pure policy"


def ecr_model() -> dict:
    """AWS's own description of the ECR API, as botocore ships it."""
    import botocore.session

    return botocore.session.get_session().get_service_model("ecr")


def test_the_exclusion_filters_are_what_the_ecr_api_accepts(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (repository,) = inventory.of_type("aws:ecr/repository:Repository")
    shapes = ecr_model().shape_for("CreateRepositoryRequest").members
    assert repository.inputs["imageTagMutability"] in shapes["imageTagMutability"].enum
    filters_shape = shapes["imageTagMutabilityExclusionFilters"]
    filters = repository.inputs["imageTagMutabilityExclusionFilters"]
    assert filters_shape.metadata["min"] <= len(filters) <= filters_shape.metadata["max"]
    member = filters_shape.member.members
    for exclusion in filters:
        assert exclusion["filterType"] in member["filterType"].enum
        value = member["filter"].metadata
        assert re.fullmatch(value["pattern"].strip("^$"), exclusion["filter"]), exclusion
        assert exclusion["filter"].count("*") <= 2, "ECR allows at most two wildcards per filter"


@mock_aws
def test_builds_can_rewrite_the_cache_tag_and_never_a_release_or_commit_tag(declare):
    """The repository as declared, created in moto's ECR: a second build's cache export
    overwrites `buildcache`; a second image under a commit or release tag is refused."""
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (repository,) = inventory.of_type("aws:ecr/repository:Repository")
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr.create_repository(
        repositoryName=repository.inputs["name"],
        imageTagMutability=repository.inputs["imageTagMutability"],
        imageTagMutabilityExclusionFilters=repository.inputs["imageTagMutabilityExclusionFilters"],
    )

    def push(tag: str, build: int) -> None:
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"digest": f"sha256:{build:064x}", "size": 1, "mediaType": "application/vnd.oci.image.config.v1+json"},
                    "layers": [{"digest": f"sha256:{build:064x}", "size": build,
                                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}]}
        ecr.put_image(repositoryName=repository.inputs["name"], imageManifest=json.dumps(manifest), imageTag=tag)

    push(CACHE_TAG, 1)
    push(CACHE_TAG, 2)  # the next build's cache
    for tag in ("0123abc", f"{RELEASE_TAG_PREFIX}0123abc"):
        push(tag, 3)
        # ECR answers ImageTagAlreadyExistsException ("tagged with a tag that already exists. The
        # repository is configured for tag immutability", botocore's ECR model); moto 5.2 answers
        # ImageAlreadyExistsException for the same refusal.
        refused = (ecr.exceptions.ImageTagAlreadyExistsException, ecr.exceptions.ImageAlreadyExistsException)
        with pytest.raises(refused):
            push(tag, 4)


def _expired(rules: list[dict], images: list[tuple[int, tuple[str, ...]]], today: int) -> set[int]:
    """The images (pushed on day n, tags) the policy expires, by the evaluation rules of the ECR
    user guide: rules apply by ascending priority; a rule selects images by tag status/prefix;
    an image whose tags match a higher-priority rule's selection is never expired by a later
    rule (it may still be counted); counts keep the newest."""

    def selects(rule: dict, tags: tuple[str, ...]) -> bool:
        selection = rule["selection"]
        if selection["tagStatus"] == "untagged":
            return not tags
        if selection["tagStatus"] == "tagged":
            return all(any(tag.startswith(prefix) for tag in tags) for prefix in selection["tagPrefixList"])
        return True

    expired: set[int] = set()
    claimed: set[int] = set()
    for rule in sorted(rules, key=lambda r: r["rulePriority"]):
        matching = sorted((i for i, (_, tags) in enumerate(images) if selects(rule, tags)), key=lambda i: -images[i][0])
        selection = rule["selection"]
        if selection["countType"] == "imageCountMoreThan":
            candidates = matching[selection["countNumber"]:]
        else:
            candidates = [i for i in matching if today - images[i][0] > selection["countNumber"]]
        expired |= {i for i in candidates if i not in claimed}
        claimed |= set(matching)
    return expired


def test_release_images_outlive_the_count_and_the_rest_is_pruned():
    """A year of daily builds: one a day tagged with its commit, a promoted `release-` tag every
    tenth day, and a failed untagged push every day. The pinned releases stay; the oldest builds
    beyond the count and old untagged pushes go."""
    rules = repository_lifecycle_policy(50, 7)["rules"]
    priorities = [rule["rulePriority"] for rule in rules]
    assert len(set(priorities)) == len(priorities), "ECR requires unique priorities"
    assert max(rules, key=lambda r: r["rulePriority"])["selection"]["tagStatus"] == "any", "ECR requires `any` last"
    assert sum(rule["selection"]["tagStatus"] == "untagged" for rule in rules) == 1, "ECR allows one untagged rule"
    images = []
    for day in range(365):
        tags = (f"sha-{day:04x}",) + ((f"{RELEASE_TAG_PREFIX}{day:04x}",) if day % 10 == 0 else ())
        images += [(day, tags), (day, ())]
    expired = _expired(rules, images, today=365)
    releases = {i for i, (_, tags) in enumerate(images) if any(t.startswith(RELEASE_TAG_PREFIX) for t in tags)}
    assert releases and not releases & expired, "a promoted image expired"
    assert {i for i, (day, tags) in enumerate(images) if not tags and 365 - day > 7} <= expired
    assert any(images[i][1] for i in expired), "old unpromoted builds are pruned"
    oldest_release = min(releases, key=lambda i: images[i][0])
    assert images[oldest_release][0] == 0, "the first release, a year old, is still there"


def test_image_comes_from_the_service_repository(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (repository,) = inventory.of_type("aws:ecr/repository:Repository")
    (deployment,) = inventory.of_type("kubernetes:apps/v1:Deployment")
    image = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository.inputs['name']}@{DIGEST}"


def test_role_holds_only_the_declared_statements_and_trusts_only_its_service_account(declare):
    statements = (*SEARCH, lambda: model_read_statement("models-bucket", "autocomplete/"))
    inventory = declare_service(declare, autocomplete(), statements)
    (role,) = inventory.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:search-autocomplete:search-autocomplete" in trust.values()
    (policy,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    granted = {
        (action, statement["Resource"])
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        for action in statement["Action"]
    }
    assert granted == {
        ("es:ESHttpGet", f"{DOMAIN_ARN}/*"),
        ("es:ESHttpPost", f"{DOMAIN_ARN}/*"),
        ("s3:GetObject", "arn:aws:s3:::models-bucket/autocomplete/*"),
    }
    (account,) = [r for r in inventory.kubernetes_objects() if r.inputs["kind"] == "ServiceAccount"]
    assert account.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::123456789012:role/")
    assert account.inputs["automountServiceAccountToken"] is False


def test_no_statements_means_no_policy(declare):
    inventory = declare_service(declare, autocomplete(aws_api_egress=False))
    assert inventory.of_type("aws:iam/role:Role"), "the service account still has its own role"
    assert not inventory.of_type("aws:iam/rolePolicy:RolePolicy")


@pytest.mark.parametrize(("exposed", "ingresses"), [("public", 1), ("none", 0)])
def test_ingress_exists_only_when_exposed(declare, exposed, ingresses):
    spec = autocomplete(exposed=exposed, host="autocomplete.example.com" if exposed != "none" else None)
    inventory = declare_service(declare, spec, SEARCH)
    assert len(inventory.of_type("kubernetes:networking.k8s.io/v1:Ingress")) == ingresses


def test_experiment_declares_one_workload_per_variant(declare):
    spec = autocomplete(
        variants=(Variant(name="control", digest=DIGEST, weight=90), Variant(name="candidate", tag="2.0.0", weight=10))
    )
    inventory = declare_service(declare, spec, SEARCH)
    assert len(inventory.of_type("kubernetes:apps/v1:Deployment")) == 2
    assert len(inventory.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) == 2
    assert len(inventory.of_type("kubernetes:policy/v1:PodDisruptionBudget")) == 2
    assert len(inventory.of_type("kubernetes:core/v1:Service")) == 3
    assert schema_problems([r.inputs for r in inventory.kubernetes_objects()], DEFAULT_KUBERNETES_VERSION) == []


@pytest.mark.parametrize("exposed", ["public", "none"])
def test_deployments_are_created_after_their_services_and_ingress(declare, exposed):
    """The readiness gates are injected only into pods created once a TargetGroupBinding for
    their Service exists, which the controller makes while reconciling the Ingress, before it
    sets the Ingress status that pulumi-kubernetes waits for."""
    service = autocomplete(exposed=exposed, host="autocomplete.example.com" if exposed != "none" else None)
    inventory = declare_service(declare, service, SEARCH)
    routing = {r.urn for r in inventory.kubernetes_objects() if r.inputs["kind"] in ("Service", "Ingress")}
    assert any(r.inputs["kind"] == "Ingress" for r in inventory.kubernetes_objects()) == (exposed != "none")
    (deployment,) = [r for r in inventory.kubernetes_objects() if r.inputs["kind"] == "Deployment"]
    assert routing and routing <= set(deployment.dependencies), "the Deployment must wait for its Services and Ingress"
    for obj in inventory.kubernetes_objects():
        assert deployment.urn not in obj.dependencies, f"{obj.name} waits for the Deployment"
    (namespace,) = [r for r in inventory.kubernetes_objects() if r.inputs["kind"] == "Namespace"]
    labelled = namespace.inputs["metadata"]["labels"].get("elbv2.k8s.aws/pod-readiness-gate-inject") == "enabled"
    assert labelled == (exposed != "none")


def test_every_variant_waits_for_every_service_of_the_experiment(declare):
    variants = (Variant(name="control", digest=DIGEST, weight=90), Variant(name="candidate", digest=DIGEST, weight=10))
    inventory = declare_service(declare, autocomplete(variants=variants), SEARCH)
    objects = inventory.kubernetes_objects()
    routing = {r.urn for r in objects if r.inputs["kind"] in ("Service", "Ingress")}
    deployments = [r for r in objects if r.inputs["kind"] == "Deployment"]
    assert len(deployments) == 2 and len(routing) == 4  # two variant Services, the aggregate, the Ingress
    for deployment in deployments:
        assert routing <= set(deployment.dependencies), deployment.name


# --- the first deploy, certificates and DNS ---------------------------------------------------


def _kinds(inventory) -> set[str]:
    return {r.inputs["kind"] for r in inventory.kubernetes_objects()}


def test_a_service_without_an_image_declares_its_repository_role_and_policies_but_no_workload(declare):
    """Before the first push nothing can pull: a Deployment would never become ready and
    pulumi-kubernetes would wait for it until the update times out."""
    inventory = declare_service(declare, autocomplete(variants=()), SEARCH)
    assert _kinds(inventory) == {"Namespace", "ServiceAccount", "NetworkPolicy"}
    assert len(inventory.of_type("aws:ecr/repository:Repository")) == 1
    assert len(inventory.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == 1
    assert len(inventory.of_type("aws:iam/role:Role")) == 1
    # The certificate is requested now, so it is issued by the `up` that adds the workload.
    assert len(inventory.of_type("aws:acm/certificateValidation:CertificateValidation")) == 1
    # No Ingress, so no load balancer to point the host at yet.
    assert [r.inputs["type"] for r in inventory.of_type("aws:route53/record:Record")] == ["CNAME"]


def test_the_same_service_with_its_image_declares_the_workload(declare):
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"} <= _kinds(
        declare_service(declare, autocomplete(), SEARCH)
    )


def test_an_exposed_service_waits_for_its_validated_certificate(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (certificate,) = inventory.of_type("aws:acm/certificate:Certificate")
    assert (certificate.inputs["domainName"], certificate.inputs["validationMethod"]) == ("autocomplete.example.com", "DNS")
    (validation,) = inventory.of_type("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["certificateArn"] == certificate.urn or validation.inputs["certificateArn"].startswith("arn:aws:acm:")
    (record,) = [r for r in inventory.of_type("aws:route53/record:Record") if r.inputs["type"] == "CNAME"]
    assert record.inputs["zoneId"] == ZONE and record.inputs["name"].endswith(".autocomplete.example.com.")
    assert validation.inputs["validationRecordFqdns"] == [record.inputs["name"].rstrip(".")]
    (ingress,) = [r for r in inventory.kubernetes_objects() if r.inputs["kind"] == "Ingress"]
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == validation.inputs["certificateArn"]
    assert validation.urn in ingress.dependencies, "the ALB must not be built before the certificate is issued"


def test_the_host_is_an_alias_of_the_load_balancer_in_the_zone(declare):
    inventory = declare_service(declare, autocomplete(), SEARCH)
    (alias,) = [r for r in inventory.of_type("aws:route53/record:Record") if r.inputs["type"] == "A"]
    assert (alias.inputs["zoneId"], alias.inputs["name"]) == (ZONE, "autocomplete.example.com")
    (target,) = alias.inputs["aliases"]
    assert target["zoneId"] == "Z35SXDOTRQ7X7K"  # us-east-1 ALBs (ELB endpoints table)
    assert target["name"].endswith(".us-east-1.elb.amazonaws.com") and target["evaluateTargetHealth"] is True


def test_an_issued_certificate_is_used_as_given_and_nothing_is_requested(declare):
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"
    inventory = declare_service(declare, autocomplete(), SEARCH, certificate_arn=arn, hosted_zone_id=None)
    assert inventory.of_type("aws:acm/certificate:Certificate") == []
    assert inventory.of_type("aws:route53/record:Record") == []
    (ingress,) = [r for r in inventory.kubernetes_objects() if r.inputs["kind"] == "Ingress"]
    assert ingress.inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == arn


def test_an_exposed_service_without_any_certificate_source_is_refused(declare):
    with pytest.raises(ValueError, match="certificate_arn or hosted_zone_id"):
        declare_service(declare, autocomplete(), SEARCH, hosted_zone_id=None)


def test_an_unexposed_service_gets_no_certificate_and_no_record(declare):
    inventory = declare_service(declare, autocomplete(exposed="none", host=None, load_balancer_cidrs=()), SEARCH)
    assert inventory.of_type("aws:acm/certificate:Certificate") == []
    assert inventory.of_type("aws:route53/record:Record") == []
