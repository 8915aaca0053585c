"""Pulumi property paths parse as the engine parses them (pulumi/pulumi v3.259.0
`sdk/go/common/resource/properties_path.go`, the examples in `ParsePropertyPath`'s comment)."""

import pytest

from mlp.property_paths import PropertyPathError, parse_property_path, with_ignored_changes


@pytest.mark.parametrize(
    "path, elements",
    [
        ("root", ["root"]),
        ("root.nested", ["root", "nested"]),
        ('root["nested"]', ["root", "nested"]),
        ('root["double"].nest', ["root", "double", "nest"]),
        ("root.array[0][1].nested", ["root", "array", 0, 1, "nested"]),
        ('root["key with \\"escaped\\" quotes"]', ["root", 'key with "escaped" quotes']),
        ('["root key with a ."][100]', ["root key with a .", 100]),
        ("root.array[*].field", ["root", "array", "*", "field"]),
        ("foo-bar", ["foo-bar"]),
        ("scalingConfig.desiredSize", ["scalingConfig", "desiredSize"]),
    ],
)
def test_paths_parse_as_the_engine_parses_them(path, elements):
    assert parse_property_path(path) == elements


@pytest.mark.parametrize("path", [".root", "root.", 'root["open', "root[1", "root[x]"])
def test_malformed_paths_are_refused(path):
    with pytest.raises(PropertyPathError):
        parse_property_path(path)


def test_an_ignored_key_the_old_inputs_lack_is_dropped_and_the_new_inputs_are_not_changed():
    new = {"desiredCapacity": 3, "maxSize": 4}
    assert with_ignored_changes(new, {"maxSize": 4}, ["desiredCapacity", "root["]) == {"maxSize": 4}
    assert new == {"desiredCapacity": 3, "maxSize": 4}


def test_a_nested_path_takes_the_old_value_and_leaves_its_siblings_changed():
    old = {"scalingConfig": {"desiredSize": 1, "maxSize": 2}}
    new = {"scalingConfig": {"desiredSize": 3, "maxSize": 5}}
    assert with_ignored_changes(new, old, ["scalingConfig.desiredSize"]) == {"scalingConfig": {"desiredSize": 1, "maxSize": 5}}


def test_a_wildcard_restores_every_element_both_sides_have_and_an_added_one_stays_visible():
    old = {"rules": [{"priority": 1, "name": "a"}]}
    new = {"rules": [{"priority": 9, "name": "b"}, {"priority": 7, "name": "c"}]}
    assert with_ignored_changes(new, old, ["rules[*].priority"]) == {
        "rules": [{"priority": 1, "name": "b"}, {"priority": 7, "name": "c"}]
    }


def test_an_index_only_one_side_has_cannot_be_ignored():
    assert with_ignored_changes({"a": [1, 2]}, {"a": [1]}, ["a[1]"]) == {"a": [1, 2]}
    assert with_ignored_changes({"a": [1, 5]}, {"a": [1, 2]}, ["a[1]"]) == {"a": [1, 2]}


def test_a_trailing_wildcard_on_a_map_ignores_the_whole_map():
    old = {"tags": {"team": "search", "tier": "web"}}
    new = {"tags": {"team": "recs", "owner": "x"}}
    assert with_ignored_changes(new, old, ["tags[*]"]) == old
