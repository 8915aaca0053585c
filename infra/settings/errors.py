"""Configuration errors that name the stack file, the key path, the value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a stack's configuration."""

    key_path: str
    message: str
    value: object = None
    has_value: bool = False

    def render(self) -> str:
        shown = f" (got {self.value!r})" if self.has_value else ""
        return f"{self.key_path}: {self.message}{shown}"


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared when a stack's configuration is unusable.

    The message is meant for people: it names the stack file and, per problem, the key path as
    written in that file, the offending value and what is allowed. It is a `pulumi.RunError`, so
    `pulumi up` prints the message without a traceback, as `mlp plan` does.
    """

    def __init__(self, stack_file: str, problems: list[ConfigProblem]):
        self.stack_file = stack_file
        self.problems = problems
        lines = [f"{stack_file}: invalid configuration ({len(problems)} problem(s))"]
        lines += [f"  - {problem.render()}" for problem in problems]
        super().__init__("\n".join(lines))
