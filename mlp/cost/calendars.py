"""The estimate's view of the support calendars that change a price: EKS extended support
(`components/cluster/eks_versions.py`) and OpenSearch/Elasticsearch extended support
(`components/search/search_engine_support.py`, read by the OpenSearch rule). A month is priced hour by
hour against them, so a version whose standard support ends mid-month pays the surcharge only
for the hours after that date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from components.cluster.eks_versions import END_OF_STANDARD_SUPPORT, known_versions, minor_key


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
    if version in END_OF_STANDARD_SUPPORT:
        end = END_OF_STANDARD_SUPPORT[version]
        extended = hours_between(as_of, hours, end, None)
        if extended == 0:
            return 0.0, f"standard support until {end}"
        if extended >= hours:
            return hours, f"extended support since {end}"
        return extended, f"standard support ends {end}, extended for {extended:.0f} h of the month"
    known = known_versions()
    if minor_key(version) < minor_key(known[0]):
        return hours, f"older than {known[0]}: extended support (or past it)"
    return 0.0, f"newer than the calendar ({known[-1]}): assumed standard support"
