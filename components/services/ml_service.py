"""One ML service on the cluster, whatever it does: the same locked-down, right-sized shape for
search autocomplete, recommendations, discovery and experiment assignment."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs
from components.services.ml_service_access import policy_document
from components.services.ml_service_manifests import service_manifests
from components.services.service_spec import ServiceSpec

RELEASE_TAG_PREFIX = "release-"
"""Images tagged with this prefix are what stacks pin: the lifecycle policy never expires them.
A digest is promoted by adding the tag `release-<git sha>` to it (docs/services.md)."""
CACHE_TAG = "buildcache"
"""The one tag that moves: BuildKit's registry cache (`image_build.yml`, `cache-to
type=registry,ref=<repository>:buildcache`) is overwritten by every build. In an `IMMUTABLE`
repository ECR refuses the second export (moby/buildkit#3776) and a failed cache export fails the
build (moby/buildkit#2578), so the repository is `IMMUTABLE_WITH_EXCLUSION` with this tag as its
only exclusion: commit and `release-` tags stay immutable."""
RELEASE_KEEP_LIMIT = 9999
"""A count no repository reaches: the release rule exists to claim release images, so that the
rules after it cannot expire them."""


def tag_mutability_exclusions() -> list[dict[str, str]]:
    """The repository's exclusion filters: exactly the cache tag. ECR's API accepts 1 to 5
    filters of type `WILDCARD`, each matching `^[0-9a-zA-Z._*-]{1,128}$` with at most two `*`
    (ECR API reference, `ImageTagMutabilityExclusionFilter`; botocore's ECR model); a filter
    without `*` matches that one tag only."""
    return [{"filter": CACHE_TAG, "filter_type": "WILDCARD"}]


def repository_lifecycle_policy(keep_images: int, untagged_days: int) -> dict:
    """Release images are kept; untagged ones (failed or superseded pushes) go after
    `untagged_days`; of the other tagged images the newest `keep_images` stay.

    ECR applies rules by ascending `rulePriority`, and an image that matches the tag selection of
    a rule cannot be expired by a later rule (ECR user guide, "Lifecycle policy evaluation
    rules"), so rule 1 selecting every `release-` image shields it from the count rule; the `any`
    rule must come last."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep images tagged {RELEASE_TAG_PREFIX}* (the ones stacks pin)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [RELEASE_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": RELEASE_KEEP_LIMIT,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Expire untagged images after {untagged_days} days",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": f"Keep the newest {keep_images} other images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


@dataclass(frozen=True, kw_only=True)
class MlServiceArgs:
    """Inputs of `MlService`."""

    spec: ServiceSpec
    """The service's settings as plain values. Required."""
    kubernetes_provider: k8s.Provider
    """Provider of the cluster; every Kubernetes object uses it. Required."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, for the IRSA role. Required."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL. Required."""
    repository_name: str
    """Name of the service's ECR repository. Required."""
    policy_statements: Sequence[Mapping[str, Any]] = ()
    """IAM statements of the service's role (see `components.services.ml_service_access`); values may be
    Outputs. Default none: the role can do nothing, and no AWS egress is opened."""
    image_retention_count: int = 50
    """Images kept per repository besides the `release-` ones; older ones expire, so pin only
    promoted (`release-` tagged) images. Default 50."""
    untagged_image_days: int = 7
    """Days before untagged images expire. Default 7."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the service's AWS resources (its repository, role and certificate), on top of the
    provider's default tags; the program passes `service: <name>` so the bill splits by service.
    Default none."""
    certificate_arn: str | None = None
    """An issued ACM certificate for the host (exposed services). Default none: with
    `hosted_zone_id` the component requests and validates one."""
    hosted_zone_id: str | None = None
    """Public Route 53 zone holding the host (exposed services): the certificate's validation
    record (unless `certificate_arn`) and the host's alias record to the load balancer go there.
    Default none: no record is written."""


class MlService(pulumi.ComponentResource):
    """An ML service.

    Creates: the ECR repository (immutable tags but the build cache's, scan on push, KMS
    encryption, lifecycle policy); an IRSA role with only the declared statements; and in the service's own namespace its
    ServiceAccount, one Deployment + Service + HPA + PodDisruptionBudget per variant (an
    aggregate Service when there are variants), an ALB Ingress when exposed, and deny-by-default
    NetworkPolicies. The objects themselves are rendered by `components.services.ml_service_manifests`.

    Exposed, with a hosted zone: an ACM certificate for the host validated by DNS (its
    validation record and a `CertificateValidation` the Ingress waits for), unless an issued
    certificate is given, and an alias record from the host to the ALB.

    Before an image is pushed (`spec.has_workload` false) it declares the repository, the role,
    the certificate, the namespace, the ServiceAccount and the network policies, and no
    workload: nothing would pull, and the next `up` after pinning a digest adds the rest.
    """

    role_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    namespace: str

    def __init__(self, name: str, args: MlServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:MlService", name, None, opts)
        spec = args.spec
        repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.repository_name,
            # pulumi-aws 7.x `aws.ecr.Repository`: `image_tag_mutability_exclusion_filters` applies
            # only with `IMMUTABLE_WITH_EXCLUSION` or `MUTABLE_WITH_EXCLUSION`.
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
            image_tag_mutability_exclusion_filters=[
                aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(**exclusion)
                for exclusion in tag_mutability_exclusions()
            ],
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-repository-lifecycle",
            repository=repository.name,
            policy=json.dumps(repository_lifecycle_policy(args.image_retention_count, args.untagged_image_days)),
            opts=pulumi.ResourceOptions(parent=repository),
        )
        inline_policies = {}
        if args.policy_statements:
            inline_policies["access"] = pulumi.Output.json_dumps(policy_document(list(args.policy_statements)))
        role = WorkloadRole(
            f"{name}-role",
            WorkloadRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=spec.namespace,
                service_account=spec.name,
                inline_policies=inline_policies,
                description=f"ML service {spec.name}",
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        certificate_arn, issued = self._certificate(name, spec, args)
        images = [repository.repository_url.apply(variant.image) for variant in spec.variants]
        manifests = service_manifests(spec, images, role.role_arn, certificate_arn)
        namespace_object = _declare(name, spec.name, manifests[0], pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider))
        # Everything else lives in the namespace, so it waits for it.
        in_namespace = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[namespace_object])
        # The Deployments come last, after the Services and the Ingress: the load balancer
        # controller injects a pod's readiness gates only if a TargetGroupBinding for its Service
        # exists when the pod is created ("create ingress or service before pod", v3.5.0
        # docs/deploy/pod_readiness_gate.md). pulumi-kubernetes finishes creating an Ingress only
        # once its status.loadBalancer.ingress is set (provider/pkg/await/ingress.go), and the
        # controller sets that status after deploying the whole model, TargetGroupBindings
        # included (v3.5.0 controllers/ingress/group_controller.go reconcile: buildAndDeployModel,
        # then updateIngressGroupStatus; pkg/deploy/stack_deployer.go). So the first rollout's
        # pods already get their gates. A service without an Ingress waits for its Services only.
        deployments = [manifest for manifest in manifests[1:] if manifest["kind"] == "Deployment"]
        routing = []
        for manifest in manifests[1:]:
            if manifest["kind"] == "Deployment":
                continue
            if manifest["kind"] == "Ingress":
                # The controller builds the HTTPS listener as soon as the Ingress exists, and a
                # listener takes only an issued certificate (elbv2 CreateListener errors include
                # CertificateNotFound: botocore's elbv2 model); the controller would retry with
                # backoff. Waiting for the validation (ISSUED) makes the ALB's first build good.
                declared = _declare(
                    name, spec.name, manifest, pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=issued))
                )
                if args.hosted_zone_id is not None:
                    self._alias_record(name, spec, args.hosted_zone_id, declared)
            else:
                declared = _declare(name, spec.name, manifest, in_namespace)
            if manifest["kind"] in ("Service", "Ingress"):
                routing.append(declared)
        after_routing = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=[namespace_object, *routing]
        )
        for manifest in deployments:
            _declare(name, spec.name, manifest, after_routing)
        self.role_arn = role.role_arn
        self.repository_url = repository.repository_url
        self.namespace = spec.namespace
        self.register_outputs({"role_arn": self.role_arn, "repository_url": self.repository_url, "namespace": self.namespace})

    def _certificate(self, name: str, spec: ServiceSpec, args: MlServiceArgs) -> tuple[pulumi.Input[str] | None, list[pulumi.Resource]]:
        """The host's certificate ARN and what the Ingress must wait for. Requested even before
        the workload exists: validation takes minutes, and is done by the `up` that adds it.

        DNS validation: ACM publishes one CNAME per domain name in `domainValidationOptions`; the
        record goes into the zone and `aws.acm.CertificateValidation` waits until ACM reports the
        certificate ISSUED (ACM user guide, "DNS validation",
        https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html; pulumi-aws
        `acm.CertificateValidation`). The certificate has one name, so one option."""
        if spec.exposed == "none" or spec.host is None:
            return None, []
        if args.certificate_arn is not None:
            return args.certificate_arn, []
        if args.hosted_zone_id is None:
            raise ValueError(f"service {spec.name!r}: an exposed host needs certificate_arn or hosted_zone_id")
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=spec.host,
            validation_method="DNS",
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        option = certificate.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-certificate-validation-record",
            zone_id=args.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            # The CNAME is "created specifically for your domain and your account" and serves
            # replacement certificates of the same name (ACM user guide, "DNS validation"), so a
            # replacement finds the old certificate's record in place: take it over, not fail.
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=certificate),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=certificate),
        )
        return validation.certificate_arn, [validation]

    def _alias_record(self, name: str, spec: ServiceSpec, zone_id: str, ingress: pulumi.CustomResource) -> None:
        """`host` A-alias to the group's ALB. The hostname comes from the Ingress status, which
        pulumi-kubernetes waits for before the Ingress counts as created (pulumi-kubernetes
        `provider/pkg/await/ingress.go`: ".status.loadBalancer.ingress" must have an entry); the
        alias target zone is the region's ALB zone (`aws.lb.get_hosted_zone_id`, the ELB
        endpoints table https://docs.aws.amazon.com/general/latest/gr/elb.html)."""
        load_balancer_zone = aws.lb.get_hosted_zone_id_output(
            load_balancer_type="application", opts=pulumi.InvokeOptions(parent=self)
        )
        hostname = ingress.status.apply(lambda status: status.load_balancer.ingress[0].hostname)  # type: ignore[attr-defined]
        aws.route53.Record(
            f"{name}-dns",
            zone_id=zone_id,
            name=spec.host,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(name=hostname, zone_id=load_balancer_zone.id, evaluate_target_health=True)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )


def _resource_name(name: str, service: str, manifest: dict) -> str:
    kind = manifest["kind"]
    object_name = manifest["metadata"]["name"]
    role = {
        "Namespace": "namespace",
        "ServiceAccount": "service-account",
        "Deployment": "deployment",
        "Service": "service",
        "HorizontalPodAutoscaler": "autoscaler",
        "PodDisruptionBudget": "disruption-budget",
        "Ingress": "ingress",
        "NetworkPolicy": "network-policy",
    }[kind]
    suffix = "" if object_name == service or kind == "Namespace" else f"-{object_name.removeprefix(service + '-')}"
    return f"{name}-{role}{suffix}"


def _declare(name: str, service: str, manifest: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One Kubernetes object from its manifest, through the typed class of its kind."""
    kind, metadata = manifest["kind"], manifest["metadata"]
    resource_name = _resource_name(name, service, manifest)
    if kind == "Namespace":
        return k8s.core.v1.Namespace(resource_name, metadata=metadata, opts=opts)
    if kind == "ServiceAccount":
        return k8s.core.v1.ServiceAccount(
            resource_name, metadata=metadata, automount_service_account_token=manifest["automountServiceAccountToken"], opts=opts
        )
    classes = {
        "Deployment": k8s.apps.v1.Deployment,
        "Service": k8s.core.v1.Service,
        "HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
        "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
        "Ingress": k8s.networking.v1.Ingress,
        "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    }
    return classes[kind](resource_name, metadata=metadata, spec=manifest["spec"], opts=opts)
