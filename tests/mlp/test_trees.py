from mlp.trees import replace_matching


def _is_marker(node):
    return isinstance(node, dict) and node.get("marker") is True


def test_matching_nodes_are_replaced_at_any_depth_and_reported():
    value = {"a": [1, {"marker": True, "inside": {"marker": True}}], "b": {"c": {"marker": True}}}
    replaced, found = replace_matching(value, _is_marker, lambda node: sorted(node))
    assert found
    assert replaced == {"a": [1, ["inside", "marker"]], "b": {"c": ["marker"]}}


def test_nothing_matching_gives_an_equal_copy_and_false():
    value = {"a": [1, "two", {"three": None}]}
    replaced, found = replace_matching(value, _is_marker, lambda node: "X")
    assert (replaced, found) == (value, False)
    assert replaced is not value
