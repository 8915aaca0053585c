"""Karpenter's own CRDs as a validator: an object is checked the way the API server checks it on
create, offline.

tests/data/karpenter-1.14.1/ holds the NodePool (karpenter.sh/v1) and EC2NodeClass
(karpenter.k8s.aws/v1) CustomResourceDefinitions from github.com/aws/karpenter-provider-aws, tag
v1.14.1 (commit bde00654cd316fddb3dccfba3f5ac07039865429), `pkg/apis/crds/` (copied from
shared/schemas/karpenter-1.14.1, see shared/schemas/SOURCES.md).

Three layers, as the API server applies them:
- the OpenAPI v3 schema (`spec.versions[].schema.openAPIV3Schema`) through `jsonschema`;
- strictness: a field the schema does not declare is refused (the API server prunes it, and
  Pulumi's server-side apply with field validation refuses it), so a misspelled field fails here;
- every `x-kubernetes-validations` CEL rule at a path the object has, through `cel-python`, with
  the two Kubernetes CEL library functions the rules use (`find` from the regex library,
  `split` from the strings library). Transition rules (those naming `oldSelf`) only run on update
  and are skipped; `transition_rules` lists them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import yaml
from celpy import celtypes

from components.karpenter.karpenter_controller import CHART_VERSION

# The folder of the pinned release: bumping the chart without its CRDs fails here, loudly.
CRDS = Path(__file__).resolve().parent / "data" / f"karpenter-{CHART_VERSION}"
CRD_FILES = {
    ("karpenter.sh/v1", "NodePool"): "karpenter.sh_nodepools.yaml",
    ("karpenter.k8s.aws/v1", "EC2NodeClass"): "karpenter.k8s.aws_ec2nodeclasses.yaml",
}


@cache
def crd_schema(api_version: str, kind: str) -> dict:
    document = yaml.safe_load((CRDS / CRD_FILES[(api_version, kind)]).read_text())
    version = api_version.split("/")[1]
    (served,) = [v for v in document["spec"]["versions"] if v["name"] == version]
    return served["schema"]["openAPIV3Schema"]


def _strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever it lists its properties."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def schema_problems(obj: dict) -> list[str]:
    schema = _strict(copy.deepcopy(crd_schema(obj["apiVersion"], obj["kind"])))
    validator = jsonschema.Draft4Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(obj)
    ]


def _find(text: celtypes.StringType, pattern: celtypes.StringType) -> celtypes.StringType:
    """Kubernetes CEL regex library: the first match of `pattern`, or ""."""
    match = re.search(str(pattern), str(text))
    return celtypes.StringType(match.group(0) if match else "")


def _split(text: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    """Kubernetes CEL strings library."""
    return celtypes.ListType(
        [celtypes.StringType(part) for part in str(text).split(str(separator))]
    )


_FUNCTIONS = {"find": _find, "split": _split}
_ENV = celpy.Environment()


def _rules_at(schema: dict, value: Any, path: str) -> Iterator[tuple[str, dict, Any]]:
    """(path, rule, the value it applies to) for every CEL rule on a node the object has."""
    for rule in schema.get("x-kubernetes-validations") or ():
        yield path, rule, value
    if isinstance(value, dict):
        for key, child in value.items():
            if key in schema.get("properties", {}):
                yield from _rules_at(schema["properties"][key], child, f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                yield from _rules_at(schema["additionalProperties"], child, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, child in enumerate(value):
            yield from _rules_at(schema["items"], child, f"{path}[{index}]")


def transition_rules(obj: dict) -> list[str]:
    """The rules that compare with the previous object (not checkable on create)."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    return [
        f"{path}: {rule['rule']}"
        for path, rule, _ in _rules_at(schema, obj, "")
        if "oldSelf" in rule["rule"]
    ]


def cel_problems(obj: dict) -> tuple[list[str], int]:
    """(the CEL rules the object breaks, how many rules were evaluated)."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    problems, evaluated = [], 0
    for path, rule, value in _rules_at(schema, obj, ""):
        if "oldSelf" in rule["rule"]:
            continue
        program = _ENV.program(_ENV.compile(rule["rule"]), functions=_FUNCTIONS)
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError as error:
            problems.append(
                f"{path or '<root>'}: rule {rule['rule']!r} could not be evaluated: {error.args[0]}"
            )
            continue
        evaluated += 1
        if not bool(result):
            problems.append(f"{path or '<root>'}: {rule.get('message', rule['rule'])}")
    return problems, evaluated


def crd_problems(obj: dict) -> list[str]:
    """Everything the API server would refuse about `obj` on create."""
    label = f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}"
    problems = schema_problems(obj)
    if not problems:  # CEL rules assume a schema-valid object
        problems = cel_problems(obj)[0]
    return [f"{label}: {problem}" for problem in problems]
