"""The Pulumi wire format the mocks see: special values (secrets, resource references, outputs,
assets) as signature-tagged dicts, and how the harness turns them into plain JSON values.

At the bottom of the harness's imports: it imports nothing of the project's but `mlp.trees`.
"""

from __future__ import annotations

from typing import Any

from mlp.trees import replace_matching

# Signatures the Pulumi wire format uses for special values (sdk/go/common/resource/sig).
SPECIAL_SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET = "[secret]"


def wire_to_plain(value: Any) -> Any:
    """Inputs as the provider receives them, made JSON-safe: secrets hidden, resource references
    as URNs, whole-number floats (the wire has only doubles) as integers."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG)
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_REF_SIG:
            return value.get("urn")
        if sig == OUTPUT_SIG:
            return SECRET if value.get("secret") else wire_to_plain(value.get("value"))
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {"asset": value.get("path") or value.get("uri") or "[inline]"}
        return {key: wire_to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire_to_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
    return value


def refs_as_urns(value: Any) -> tuple[Any, bool]:
    """`value` with every resource reference replaced by its URN, and whether there was one."""
    return replace_matching(
        value,
        lambda node: isinstance(node, dict) and node.get(SPECIAL_SIG) == RESOURCE_REF_SIG,
        lambda reference: reference.get("urn", ""),
    )


def resource_reference(urn: str, resource_id: str) -> dict[str, Any]:
    """A resource reference as the engine returns one in an output (rehydrated by the SDK
    through `getResource`, which the mock monitor answers from registered resources)."""
    return {SPECIAL_SIG: RESOURCE_REF_SIG, "urn": urn, "id": resource_id, "packageVersion": ""}


def secret_wire_value(value: Any) -> dict[str, Any]:
    """`value` as a secret in the Pulumi wire format, as a provider returns a sensitive field."""
    return {SPECIAL_SIG: SECRET_SIG, "value": value}
