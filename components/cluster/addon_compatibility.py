"""What each Helm add-on's upstream says about the Kubernetes versions it runs on.

One record per pinned add-on, next to its chart pin (`KUBERNETES_SUPPORT` in each component
module), quoting the upstream statement and where it is. `support_problem` says whether a cluster
minor is inside it; a stack moving to a new minor fails the add-on check
(`tests/components/cluster/test_addon_compatibility.py`) until every add-on is re-checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.cluster.eks_versions import minor_key


@dataclass(frozen=True, kw_only=True)
class KubernetesSupport:
    """An add-on release's stated Kubernetes support."""

    addon: str
    """The add-on and its pinned release, e.g. "metrics-server 0.8.1 (chart 3.13.1)"."""
    minimum: str
    """The oldest minor the statement supports."""
    tested_through: str | None
    """The newest minor the statement lists as tested; None where it states no upper bound."""
    statement: str
    """What upstream says, in short."""
    source: str
    """Where: repository path at a tag or commit, or a documentation URL."""
    untested_accepted_because: str | None = None
    """Why the platform runs it on a minor beyond `tested_through` (there is no newer release
    whose statement covers it). Default none: beyond-tested is a problem."""

    def support_problem(self, minor: str) -> str | None:
        if minor_key(minor) < minor_key(self.minimum):
            return f"{self.addon} needs Kubernetes {self.minimum} or later ({self.source})"
        if (
            self.tested_through is not None
            and minor_key(minor) > minor_key(self.tested_through)
            and self.untested_accepted_because is None
        ):
            return f"{self.addon} is tested through Kubernetes {self.tested_through} only ({self.source})"
        return None
