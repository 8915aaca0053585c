"""Support calendars that change a price: EKS extended support and OpenSearch/Elasticsearch
extended support. A month is priced hour by hour against them, so a version whose standard
support ends mid-month pays the surcharge only for the hours after that date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

# End of EKS standard support per Kubernetes minor. Standard support lasts 14 months from the
# EKS release, extended support 12 more. Sources: awsdocs/amazon-eks-user-guide
# `latest/ug/versioning/kubernetes-versions.adoc` (1.31-1.34) and https://endoflife.date/amazon-eks
# (1.35), as collected in the project's research notes on 2026-11-28.
EKS_END_OF_STANDARD_SUPPORT: dict[str, date] = {
    "1.35": date(2027, 3, 27),
    "1.34": date(2026, 12, 2),
    "1.33": date(2026, 7, 29),
    "1.32": date(2026, 3, 23),
    "1.31": date(2025, 11, 26),
}

SurchargeKind = Literal["nih", "instance"]
"""`nih`: $0.0065 per normalized instance-hour on top of the instance price. `instance`: a
surcharge equal to the instance price (the extension year granted in 2026)."""


@dataclass(frozen=True)
class SurchargePeriod:
    start: date
    end: date | None
    kind: SurchargeKind


def _versions(engine: str, minors: str) -> list[str]:
    """`'7.1-7.8'` -> ['Elasticsearch_7.1', ..., 'Elasticsearch_7.8']; `'5.6'` -> one."""
    first, _, last = minors.partition("-")
    major, low = first.split(".")
    high = last.split(".")[1] if last else low
    return [f"{engine}_{major}.{minor}" for minor in range(int(low), int(high) + 1)]


def _calendar() -> dict[str, tuple[SurchargePeriod, ...]]:
    # Amazon OpenSearch Service Developer Guide, "Standard and extended support" and "Calculating
    # extended support charges" (data/pricing/SOURCES.md §4, S16), after the 2026 schedule update.
    doubled = (
        SurchargePeriod(date(2025, 11, 7), date(2026, 11, 7), "nih"),
        # Extension year: from 2026-11-07 the surcharge equals the instance price.
        SurchargePeriod(date(2026, 11, 7), None, "instance"),
    )
    since_2025 = (SurchargePeriod(date(2025, 11, 7), None, "nih"),)
    from_2027 = (SurchargePeriod(date(2027, 11, 7), None, "nih"),)
    calendar: dict[str, tuple[SurchargePeriod, ...]] = {}
    for engine, ranges, periods in (
        ("Elasticsearch", ("1.5", "2.3", "5.1-5.5", "6.0-6.7", "7.1-7.8"), doubled),
        ("OpenSearch", ("1.0-1.2", "2.3-2.9"), doubled),
        ("Elasticsearch", ("5.6",), since_2025),
        ("Elasticsearch", ("6.8", "7.9", "7.10"), from_2027),
        ("OpenSearch", ("1.3", "2.11-2.17", "2.19"), from_2027),
    ):
        for minors in ranges:
            for version in _versions(engine, minors):
                calendar[version] = periods
    return calendar


OPENSEARCH_EXTENDED_SUPPORT = _calendar()
"""engineVersion (as the provider spells it, `OpenSearch_2.11`) -> surcharge periods."""

_OPENSEARCH_3 = re.compile(r"^OpenSearch_3\.([1-9]\d*)$")


def opensearch_periods(engine_version: str) -> tuple[SurchargePeriod, ...] | None:
    """Surcharge periods for a version; () when it is in standard support with no end announced
    (OpenSearch 3.1 and later); None when the calendar does not know the version."""
    if engine_version in OPENSEARCH_EXTENDED_SUPPORT:
        return OPENSEARCH_EXTENDED_SUPPORT[engine_version]
    if _OPENSEARCH_3.match(engine_version):
        return ()
    return None


def _as_datetime(day: date) -> datetime:
    return datetime.combine(day, time())


def hours_between(window_start: date, hours: float, start: date, end: date | None) -> float:
    """Hours of the window [window_start, window_start + hours) inside [start, end)."""
    window_begin = _as_datetime(window_start)
    window_end = window_begin + timedelta(hours=hours)
    begin = max(window_begin, _as_datetime(start))
    finish = min(window_end, _as_datetime(end)) if end else window_end
    return max(0.0, (finish - begin).total_seconds() / 3600)


def eks_extended_hours(version: str, as_of: date, hours: float) -> tuple[float, str]:
    """Hours of the month starting `as_of` that a cluster on `version` spends in extended
    support, and a note for the estimate's basis."""
    if version in EKS_END_OF_STANDARD_SUPPORT:
        end = EKS_END_OF_STANDARD_SUPPORT[version]
        extended = hours_between(as_of, hours, end, None)
        if extended == 0:
            return 0.0, f"standard support until {end}"
        if extended >= hours:
            return hours, f"extended support since {end}"
        return extended, f"standard support ends {end}, extended for {extended:.0f} h of the month"
    known = sorted(EKS_END_OF_STANDARD_SUPPORT, key=_minor)
    if _minor(version) < _minor(known[0]):
        return hours, f"older than {known[0]}: extended support (or past it)"
    return 0.0, f"newer than the calendar ({known[-1]}): assumed standard support"


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


_SIZE_FACTORS = {"nano": 0.25, "micro": 0.5, "small": 1, "medium": 2, "large": 4, "xlarge": 8}


def normalization_factor(instance_type: str) -> float:
    """Normalized-instance-hour factor of a size (`r6g.large.search` -> 4, `2xlarge` -> 16),
    as the OpenSearch guide defines it: small 1, medium 2, large 4, xlarge 8, each doubling."""
    size = instance_type.split(".")[1]
    if size in _SIZE_FACTORS:
        return _SIZE_FACTORS[size]
    match = re.fullmatch(r"(\d+)xlarge", size)
    if not match:
        raise ValueError(f"cannot normalize instance size {size!r} of {instance_type}")
    return 8 * int(match.group(1))
