"""The Amazon OpenSearch Service support calendar: when each engine version leaves standard
support and starts paying for extended support.

Source: AWS OpenSearch Service Developer Guide, "Standard and extended support"
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html#end-of-support),
as transcribed in the project's price sources (data/pricing/SOURCES.md §4, after the
August 2026 schedule update). Extended support costs $0.0065 per normalized instance-hour in
us-east-1, and for the versions whose extension year started 2026-11-07 it costs as much as the
instance itself. Refresh with `aws opensearch list-versions` and the page above.
"""

from __future__ import annotations

import re
from datetime import date

_STANDARD_ENDED_2025 = date(2025, 11, 7)
_STANDARD_ENDS_2027 = date(2027, 11, 7)

# Engine version -> the day standard support ends (paid extended support starts).
END_OF_STANDARD_SUPPORT: dict[str, date] = {
    **{f"Elasticsearch_{v}": _STANDARD_ENDED_2025 for v in ("1.5", "2.3", "5.1", "5.3", "5.5", "5.6")},
    **{f"Elasticsearch_6.{minor}": _STANDARD_ENDED_2025 for minor in range(0, 8)},
    **{f"Elasticsearch_7.{minor}": _STANDARD_ENDED_2025 for minor in range(1, 9)},
    **{f"OpenSearch_1.{minor}": _STANDARD_ENDED_2025 for minor in range(0, 3)},
    **{f"OpenSearch_2.{minor}": _STANDARD_ENDED_2025 for minor in range(3, 10)},
    "Elasticsearch_6.8": _STANDARD_ENDS_2027,
    "Elasticsearch_7.9": _STANDARD_ENDS_2027,
    "Elasticsearch_7.10": _STANDARD_ENDS_2027,
    "OpenSearch_1.3": _STANDARD_ENDS_2027,
    **{f"OpenSearch_2.{minor}": _STANDARD_ENDS_2027 for minor in (*range(11, 18), 19)},
}

_VERSION = re.compile(r"^(OpenSearch|Elasticsearch)_(\d+)\.(\d+)$")


def extended_support_since(engine_version: str, today: date) -> date | None:
    """The day `engine_version` entered paid extended support, if it has by `today`.

    Versions the calendar does not list (OpenSearch 3.x and later have no announced end) are on
    standard support; a string that is not an engine version is not judged here."""
    if not _VERSION.match(engine_version):
        return None
    ends = END_OF_STANDARD_SUPPORT.get(engine_version)
    return ends if ends is not None and ends <= today else None
