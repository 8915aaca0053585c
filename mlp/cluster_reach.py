"""How a pull request preview tells that it did not reach the cluster.

pulumi-kubernetes does not fail a preview when it cannot reach the API server: it marks the
cluster unreachable (provider/pkg/provider/provider.go, `clusterUnreachable`, set when the
kubeconfig does not load or the API server's schema cannot be read) and previews the Kubernetes
objects from their inputs alone, so the preview passes with warnings. What it prints then
contains one of these phrases (matched case-insensitively, as GitHub's `contains()` does), taken
from pulumi/pulumi-kubernetes at 94977969d (2026-07-01):

- "configured Kubernetes cluster is unreachable: <reason>" (provider.go, the warning of Read and
  Delete, and the error of Create, Update and Construct), and "Cluster is unreachable, skipping
  replaceUnready check" (provider.go, Diff);
- "can't create Helm Release with unreachable cluster", "can't update Helm Release with
  unreachable cluster" (helm_release.go), "failed to read resource state due to unreachable
  cluster" (provider.go, Read);
- " Kubernetes API server <url> is unreachable. It's possible that the URL or authentication
  information in your kubeconfig is incorrect" (provider.go, Check).

`pulumi_preview.yml` checks its preview's output for them and says so in the pull request.
"""

from __future__ import annotations

UNREACHABLE_MARKERS = ("cluster is unreachable", "unreachable cluster", "is unreachable. It")


def reports_unreachable_cluster(preview_output: str) -> bool:
    text = preview_output.lower()
    return any(marker.lower() in text for marker in UNREACHABLE_MARKERS)
