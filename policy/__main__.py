"""The ml-platform policy pack: `pulumi preview --policy-pack policy` runs this file.

The rules live in `mlplatform_policy.rules` (shared with the tests); this only hands them to the
engine. Creating the PolicyPack starts the policy server, so nothing imports this module.
"""

from pulumi_policy import PolicyPack

from mlplatform_policy.pack import PACK_DESCRIPTION, PACK_NAME, policies

PolicyPack(name=PACK_NAME, description=PACK_DESCRIPTION, policies=policies())
