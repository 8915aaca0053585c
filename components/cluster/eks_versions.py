"""The EKS support calendar: when each Kubernetes minor version leaves standard support.

Standard support lasts 14 months from the EKS release, extended support 12 more (billed at the
extended-support cluster-hour rate). Sources: awsdocs/amazon-eks-user-guide
`latest/ug/versioning/kubernetes-versions.adoc` (1.31-1.34) and https://endoflife.date/amazon-eks
(1.35), as collected in the project's research notes on 2026-11-28. Review when EKS releases a
new minor version.
"""

from __future__ import annotations

from datetime import date

END_OF_STANDARD_SUPPORT: dict[str, date] = {
    "1.35": date(2027, 3, 27),
    "1.34": date(2026, 12, 2),
    "1.33": date(2026, 7, 29),
    "1.32": date(2026, 3, 23),
    "1.31": date(2025, 11, 26),
}
"""Kubernetes minor version ("1.35") -> the day its extended support starts."""


def minor_key(version: str) -> tuple[int, ...]:
    """Sort key of a minor version: "1.9" before "1.35"."""
    return tuple(int(part) for part in version.split("."))


def known_versions() -> list[str]:
    """The versions the calendar lists, oldest first."""
    return sorted(END_OF_STANDARD_SUPPORT, key=minor_key)
