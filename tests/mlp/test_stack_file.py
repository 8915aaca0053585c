import pytest

from infra.settings import ConfigError
from mlp.stack_file import SECRET_PLACEHOLDER, read_stack_config


def _write(tmp_path, text, stack="dev"):
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    project = _write(tmp_path, "config:\n  ml-platform:region: us-east-1\n  ml-platform:tags: {team: a\n")
    with pytest.raises(ConfigError) as caught:
        read_stack_config(project, "dev")
    assert str(caught.value).startswith("Pulumi.dev.yaml:")
    assert "line " in caught.value.problems[0].key_path


def test_duplicate_key_is_refused_not_collapsed(tmp_path):
    project = _write(tmp_path, "config:\n  ml-platform:region: us-east-1\n  ml-platform:region: eu-west-1\n")
    with pytest.raises(ConfigError, match="duplicate key 'ml-platform:region'"):
        read_stack_config(project, "dev")


def test_missing_stack_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="Pulumi.qa.yaml"):
        read_stack_config(tmp_path, "qa")


def test_values_reach_the_program_as_the_engine_passes_them(tmp_path):
    project = _write(
        tmp_path,
        "config:\n"
        "  ml-platform:region: us-east-1\n"
        "  ml-platform:network: {azCount: 3, flowLogs: {enabled: false}}\n"
        "  ml-platform:webhook:\n    secure: v1:AAAA\n",
    )
    config = read_stack_config(project, "dev")
    assert config.values["ml-platform:region"] == "us-east-1"
    assert config.values["ml-platform:network"] == '{"azCount": 3, "flowLogs": {"enabled": false}}'
    assert config.values["ml-platform:webhook"] == SECRET_PLACEHOLDER
    assert config.secret_keys == ["ml-platform:webhook"]
