"""ML services: one entry per service under `ml-platform:services`, so adding a service is a
config change. Rules that need the other services (callers) or other sections (the drain budget)
live in `PlatformSettings`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.services.service_spec import DEREGISTRATION_PROPAGATION_SECONDS
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError

# A service name becomes its namespace, Deployment, Service and IAM role names; variants append
# "-<variant>", which must stay a DNS-1123 label (63 characters).
SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")
VARIANT_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")
# ECR repository names (CreateRepository API reference, `repositoryName` pattern).
ECR_REPOSITORY = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
# OCI distribution spec: tag grammar, and a sha256 content digest.
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
IMAGE_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ACM_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MUTABLE_TAGS = frozenset({"latest"})


def _image_reference_problem(tag: str | None, digest: str | None) -> tuple[str, str, object] | None:
    """(key, message, value) when a tag/digest pair is not one immutable reference. Neither is
    allowed: no image pushed yet (the first deploy, see `ServiceSettings.awaiting_image`)."""
    if tag is not None and digest is not None:
        return "digest", "set either tag or digest, not both", digest
    if tag is not None:
        if tag.lower() in MUTABLE_TAGS:
            return "tag", "`latest` moves; pin a digest or a release tag (the repository refuses to overwrite tags)", tag
        if not IMAGE_TAG.match(tag):
            return "tag", "must be an OCI tag: letters, digits, `_`, `.`, `-`, at most 128 characters", tag
    if digest is not None and not IMAGE_DIGEST.match(digest):
        return "digest", "must be `sha256:` followed by 64 lowercase hex digits", digest
    return None


class ImageSettings(Section):
    """Where the service's image comes from: its own ECR repository, pinned."""

    repository: str = Field(
        description="Name of the service's ECR repository, created by the platform with "
        "immutable tags and scan on push. Required."
    )
    digest: str | None = Field(
        None,
        description="Image digest `sha256:<64 hex>` (preferred: what was scanned is what runs). "
        "At most one of `digest` and `tag`; neither means no image has been pushed yet: the "
        "stack declares the repository, role and network policies but no workload, and `mlp "
        "plan` says so (docs/deploying.md). Default none.",
    )
    tag: str | None = Field(
        None,
        description="Release tag; `latest` is refused. The repository refuses to overwrite a "
        "tag, so a tag is as immutable as a digest. Default none.",
    )

    @field_validator("repository")
    @classmethod
    def _repository_name(cls, value: str) -> str:
        if not (2 <= len(value) <= 256 and ECR_REPOSITORY.match(value)):
            raise ValueError("must be an ECR repository name: lowercase segments separated by `/`")
        return value


class VariantSettings(Section):
    """One arm of an A/B experiment: an image of the service's repository and its traffic share."""

    digest: str | None = Field(
        None, description="Image digest of this variant. Default none (all variants pinned, or none yet)."
    )
    tag: str | None = Field(None, description="Release tag of this variant (`latest` refused). Default none.")
    weight: int = Field(ge=0, le=100, description="Percent of the service's load balancer traffic. Required; the weights of a service sum to 100.")

    @model_validator(mode="after")
    def _one_reference(self) -> "VariantSettings":
        problem = _image_reference_problem(self.tag, self.digest)
        if problem:
            raise KeyRuleError(*problem)
        return self


class ResourceSettings(Section):
    """Requests and limits of the service's container."""

    cpu_millicores: int = Field(ge=10, le=16000, description="CPU request in millicores. Required.")
    memory_mib: int = Field(ge=16, le=65536, description="Memory request in MiB. Required.")
    memory_limit_mib: int = Field(
        ge=16,
        le=65536,
        description="Memory limit in MiB, at least the request. Required: memory cannot be "
        "throttled, so a leak without a limit takes the node's other pods down with it.",
    )
    cpu_limit_millicores: int | None = Field(
        None,
        ge=10,
        le=16000,
        description="CPU limit in millicores. Default none: a CPU limit makes the kernel's CFS "
        "quota throttle the container even when the node has idle cores, which shows up as tail "
        "latency; the request already guarantees the service its share.",
    )

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> "ResourceSettings":
        if self.memory_limit_mib < self.memory_mib:
            raise KeyRuleError("memoryLimitMib", f"must be at least the request of {self.memory_mib} MiB", self.memory_limit_mib)
        if self.cpu_limit_millicores is not None and self.cpu_limit_millicores < self.cpu_millicores:
            raise KeyRuleError(
                "cpuLimitMillicores", f"must be at least the request of {self.cpu_millicores}m", self.cpu_limit_millicores
            )
        return self


class ProbeSettings(Section):
    """HTTP health endpoints on the service's port."""

    readiness_path: str = Field("/ready", pattern=r"^/[\w./-]*$", description="Readiness path; also the load balancer's health check. Default `/ready`.")
    liveness_path: str = Field("/healthz", pattern=r"^/[\w./-]*$", description="Liveness path; also the startup probe's. Default `/healthz`.")
    startup_seconds: int = Field(
        60, ge=10, le=600, description="How long a new pod may take to start before it is restarted. Default `60`."
    )


class ReplicaSettings(Section):
    """Horizontal scale."""

    min: int = Field(
        ge=0,
        le=50,
        description="Replicas at idle (the HPA's minimum). `0` scales the service to zero: no "
        "pods and no autoscaler until it is raised. Required.",
    )
    max: int = Field(ge=1, le=100, description="Replicas at peak (the HPA's maximum). Required.")
    target_cpu_percent: int = Field(
        70, ge=20, le=95, description="Average CPU use, in percent of the request, the HPA aims for. Default `70`."
    )

    @model_validator(mode="after")
    def _min_not_above_max(self) -> "ReplicaSettings":
        if self.min > self.max:
            raise KeyRuleError("min", f"is above max ({self.max})", self.min)
        return self


class ModelArtifactSettings(Section):
    """Read access to the service's models in S3."""

    bucket: str = Field(description="Bucket holding the models. Required.")
    prefix: str = Field(
        pattern=r"^[A-Za-z0-9!_.*'()/-]+/$",
        description="Key prefix the service may read, ending in `/`. Required.",
    )

    @field_validator("bucket")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        if not S3_BUCKET.match(value) or ".." in value:
            raise ValueError("must be an S3 bucket name: 3-63 lowercase letters, digits, `.` and `-`")
        return value


class ServiceSettings(Section):
    """One ML service: a Deployment per variant, its Service, autoscaler, disruption budget,
    network policies, IAM role and ECR repository."""

    image: ImageSettings = Field(description="The service's ECR repository and pinned image. Required.")
    port: int = Field(8080, ge=1024, le=65535, description="Container port (unprivileged). Default `8080`.")
    resources: ResourceSettings = Field(description="Requests and limits. Required.")
    probes: ProbeSettings = Field(default_factory=ProbeSettings, description="Health endpoints.")
    replicas: ReplicaSettings = Field(description="Autoscaling range. Required.")
    capacity: Literal["spot", "spot-preferred", "on-demand"] = Field(
        "spot-preferred",
        description="Which pools the pods may run on: `spot` (spot-bearing pools only), "
        "`spot-preferred` (spot first, on-demand when spot is short) or `on-demand`. "
        "Default `spot-preferred`.",
    )
    priority: Literal["user-facing", "batch"] = Field(
        "user-facing",
        description="Priority class: `user-facing` pods preempt `batch` pods when capacity is "
        "short. Default `user-facing`.",
    )
    exposed: Literal["public", "internal", "none"] = Field(
        "none",
        description="`public`: internet-facing ALB (its public subnets hold only load balancers "
        "and NAT gateways, so the pods admit exactly those addresses); `none`: cluster callers "
        "only. `internal` (a VPC-only ALB) is refused until the VPC has dedicated load balancer "
        "subnets: an internal ALB's interfaces live in the private subnets, which are also the "
        "node and pod subnets, so admitting them would let every pod in the VPC past `callers`. "
        "Default `none`.",
    )
    host: str | None = Field(
        None,
        description="Host name the ALB routes to the service (HTTPS only). Required when "
        "exposed; with `dns` it must be in the hosted zone, and the stack requests and "
        "validates its ACM certificate and writes its alias record there. Default none.",
    )
    certificate_arn: str | None = Field(
        None,
        description="An issued ACM certificate for `host`, in the stack's region, to use instead "
        "of one the stack requests; the service then needs no `dns`, and without `dns` its DNS "
        "record is yours to point at the load balancer. Default none.",
    )
    callers: tuple[str, ...] = Field(
        (), description="Other services allowed to call this one (network policy). Default none."
    )
    search: bool = Field(
        False, description="Read access to the search domain (`es:ESHttpGet`, `es:ESHttpPost`). Default `false`."
    )
    model_artifacts: ModelArtifactSettings | None = Field(
        None, description="S3 prefix the service reads models from (`s3:GetObject`). Default none."
    )
    variants: dict[str, VariantSettings] = Field(
        default_factory=dict,
        description="A/B variants by name: each its own Deployment and Service, traffic split "
        "by weight at the ALB. At least two, weights summing to 100; the service's `image` then "
        "names only the repository. Default none.",
    )
    termination_grace_period_seconds: int = Field(
        30,
        ge=1,
        le=300,
        description="Time a stopping pod gets, preStop delay included; must fit the spot drain "
        "budget (`interruption`). Default `30`.",
    )
    pre_stop_seconds: int = Field(
        15,
        ge=0,
        le=120,
        description="Delay before the container is signalled, so the load balancer and "
        "kube-proxy stop sending it traffic first; an exposed service needs at least "
        f"{DEREGISTRATION_PROPAGATION_SECONDS} s, the time the load balancer controller takes to "
        "deregister the pod. The ALB's deregistration delay is set to the grace period less "
        "this, so draining ends before the pod is killed. Default `15`.",
    )

    @field_validator("callers")
    @classmethod
    def _unique_callers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("lists a caller more than once")
        return value

    @field_validator("host")
    @classmethod
    def _host_name(cls, value: str | None) -> str | None:
        if value is not None and not HOSTNAME.match(value):
            raise ValueError("must be a lowercase DNS name such as `autocomplete.example.com`")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate_arn(cls, value: str | None) -> str | None:
        if value is not None and not ACM_CERTIFICATE_ARN.match(value):
            raise ValueError("must be an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<uuid>")
        return value

    @property
    def awaiting_image(self) -> bool:
        """No image pinned yet (the first deploy): nothing to run, so no workload is declared."""
        if self.variants:
            return all(variant.digest is None and variant.tag is None for variant in self.variants.values())
        return self.image.digest is None and self.image.tag is None

    @field_validator("variants")
    @classmethod
    def _variant_names(cls, value: dict[str, VariantSettings]) -> dict[str, VariantSettings]:
        for name in value:
            if not VARIANT_NAME.match(name):
                raise ValueError(f"variant name {name!r} must be a DNS label of at most 20 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "ServiceSettings":
        if self.variants:
            if len(self.variants) < 2:
                raise KeyRuleError("variants", "an experiment needs at least two variants", sorted(self.variants))
            total = sum(variant.weight for variant in self.variants.values())
            if total != 100:
                weights = {name: variant.weight for name, variant in self.variants.items()}
                raise KeyRuleError("variants", f"weights must sum to 100, not {total}", weights)
            if self.image.tag is not None or self.image.digest is not None:
                raise KeyRuleError(
                    "image", "with variants, each variant pins its image; `image` names only the repository", None, False
                )
            if self.exposed == "none":
                raise KeyRuleError(
                    "exposed", "variants split traffic at the load balancer, so the service must be `public`", self.exposed
                )
            unpinned = sorted(name for name, variant in self.variants.items() if variant.digest is None and variant.tag is None)
            if unpinned and len(unpinned) != len(self.variants):
                raise KeyRuleError(
                    f"variants.{unpinned[0]}.digest",
                    "pin every variant or none: an experiment cannot start with an arm missing",
                    None,
                    False,
                )
        else:
            problem = _image_reference_problem(self.image.tag, self.image.digest)
            if problem:
                key, message, value = problem
                raise KeyRuleError(f"image.{key}", message, value)
        if self.exposed == "internal":
            raise KeyRuleError(
                "exposed",
                "`internal` is refused: an internal ALB sits in the private subnets, which are also "
                "the node and pod subnets, so admitting them would let every pod in the VPC past "
                "`callers`. Use `none` with `callers` for in-cluster clients, or `public`, until the "
                "VPC has dedicated load balancer subnets",
                self.exposed,
            )
        if self.certificate_arn is not None and self.exposed == "none":
            raise KeyRuleError("certificateArn", "only an exposed service has a load balancer to use it", self.certificate_arn)
        if self.exposed != "none" and self.host is None:
            raise KeyRuleError("host", f"an `{self.exposed}` service needs a host name for its HTTPS listener", None, False)
        if self.pre_stop_seconds >= self.termination_grace_period_seconds:
            raise KeyRuleError(
                "preStopSeconds",
                f"must be shorter than terminationGracePeriodSeconds ({self.termination_grace_period_seconds}), "
                "or the pod is killed before it can shut down",
                self.pre_stop_seconds,
            )
        if self.exposed != "none" and self.pre_stop_seconds < DEREGISTRATION_PROPAGATION_SECONDS:
            raise KeyRuleError(
                "preStopSeconds",
                f"an exposed service keeps serving at least {DEREGISTRATION_PROPAGATION_SECONDS}s after it "
                "is told to stop, while the load balancer controller deregisters it; shorter, the ALB "
                "still sends requests to a stopping pod",
                self.pre_stop_seconds,
            )
        return self
