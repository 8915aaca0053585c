"""The platform's policy rules as plain functions over planned resources.

One definition per rule: `policy/__main__.py` wraps these rules in pulumi-policy objects for
`pulumi preview --policy-pack policy`, and the tests run the very same functions over each stack's
offline plan and over crafted violations. Nothing here starts a policy server: only
`policy/__main__.py` creates the `PolicyPack`.
"""
