"""The README's configuration reference is generated from the schema; this keeps it current."""

from mlp import config_reference
from mlp.plan import PROJECT_DIR


def test_configuration_reference_matches_the_schema():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert config_reference.START in readme, "README lacks the configuration reference block"
    assert config_reference.replace_block(readme) == readme, (
        "README configuration reference is stale: run `uv run mlp config-reference --write`"
    )


def test_readme_quickstart_is_the_two_commands():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert "uv run mlp plan dev" in readme
    assert "uv run pytest" in readme
