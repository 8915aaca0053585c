"""The support calendar of Amazon OpenSearch Service engine versions, and what extended support costs.

Source: AWS OpenSearch Service Developer Guide, "What is Amazon OpenSearch Service?" → *Standard
and extended support* and *Calculating extended support charges*
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html#end-of-support),
as transcribed on the page version after AWS's mid-2026 schedule update (project price notes,
SOURCES.md §4). Review this table when AWS announces new dates; a test pins it to that table.

Extended support is charged on top of the instance price, per *normalized instance-hour* (NIH):
instance-hours times a size factor (small 1, medium 2, large 4, xlarge 8, 2xlarge 16, ...,
32xlarge 256). For the versions whose extended support was lengthened to 2027-11-07, the charge
from 2026-11-07 equals the instance price itself, doubling the cost of every node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Engine = Literal["Elasticsearch", "OpenSearch"]
Version = tuple[int, int]
Phase = Literal["standard", "extended", "ended"]

# The engine version format of the OpenSearch API (botocore's VersionString pattern).
ENGINE_VERSION_PATTERN = re.compile(r"^(Elasticsearch)_([0-9])\.([0-9]{1,2})$|^(OpenSearch)_([0-9]{1,2})\.([0-9]{1,2})$")

EXTENDED_SUPPORT_USD_PER_NIH = 0.0065  # us-east-1, "Calculating extended support charges"
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class SurchargeStep:
    """From `starts` on, extended support costs `usd_per_nih` per normalized instance-hour, or,
    when `equals_instance_price`, as much again as the instance itself."""

    starts: date
    usd_per_nih: float | None = None
    equals_instance_price: bool = False

    def describe(self) -> str:
        if self.equals_instance_price:
            return "a surcharge equal to the instance price (it doubles the cost of every node)"
        return f"${self.usd_per_nih} per normalized instance-hour on top of the instance price"


@dataclass(frozen=True)
class SupportWindow:
    """One row of the calendar: a range of versions of one engine (inclusive)."""

    engine: Engine
    first: Version
    last: Version | None  # None: and every later version
    standard_support_ends: date | None  # None: not announced
    extended_support_ends: date | None
    surcharge: tuple[SurchargeStep, ...] = ()

    def covers(self, engine: str, version: Version) -> bool:
        return engine == self.engine and self.first <= version and (self.last is None or version <= self.last)

    def phase(self, on: date) -> Phase:
        if self.standard_support_ends is None or on < self.standard_support_ends:
            return "standard"
        if self.extended_support_ends is None or on < self.extended_support_ends:
            return "extended"
        return "ended"

    def surcharge_on(self, on: date) -> SurchargeStep | None:
        current = [step for step in self.surcharge if step.starts <= on]
        return current[-1] if current else None


_2025_11_07 = date(2025, 11, 7)
_2026_11_07 = date(2026, 11, 7)
_2027_11_07 = date(2027, 11, 7)


def _flat_from(start: date) -> tuple[SurchargeStep, ...]:
    return (SurchargeStep(start, usd_per_nih=EXTENDED_SUPPORT_USD_PER_NIH),)


# The group whose extended support was lengthened: the flat rate until 2026-11-07 (the page gives
# the standard rate only for the other groups; it is assumed here), then the instance price.
_EXTENDED_THEN_DOUBLED = (
    SurchargeStep(_2025_11_07, usd_per_nih=EXTENDED_SUPPORT_USD_PER_NIH),
    SurchargeStep(_2026_11_07, equals_instance_price=True),
)

SUPPORT_CALENDAR: tuple[SupportWindow, ...] = (
    SupportWindow("Elasticsearch", (1, 5), (1, 5), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("Elasticsearch", (2, 3), (2, 3), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("Elasticsearch", (5, 1), (5, 5), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("Elasticsearch", (5, 6), (5, 6), _2025_11_07, date(2028, 11, 7), _flat_from(_2025_11_07)),
    SupportWindow("Elasticsearch", (6, 0), (6, 7), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("Elasticsearch", (6, 8), (6, 8), _2027_11_07, date(2030, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("Elasticsearch", (7, 1), (7, 8), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("Elasticsearch", (7, 9), (7, 9), _2027_11_07, date(2028, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("Elasticsearch", (7, 10), (7, 10), _2027_11_07, date(2030, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("OpenSearch", (1, 0), (1, 2), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("OpenSearch", (1, 3), (1, 3), _2027_11_07, date(2030, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("OpenSearch", (2, 3), (2, 9), _2025_11_07, _2027_11_07, _EXTENDED_THEN_DOUBLED),
    SupportWindow("OpenSearch", (2, 11), (2, 17), _2027_11_07, date(2028, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("OpenSearch", (2, 19), (2, 19), _2027_11_07, date(2030, 11, 7), _flat_from(_2027_11_07)),
    SupportWindow("OpenSearch", (3, 1), None, None, None),
)


def parse_engine_version(engine_version: str) -> tuple[Engine, Version]:
    """`OpenSearch_3.3` → ("OpenSearch", (3, 3)). Raises ValueError on anything else."""
    match = ENGINE_VERSION_PATTERN.match(engine_version)
    if not match:
        raise ValueError(
            f"{engine_version!r} is not an engine version: use OpenSearch_X.Y or Elasticsearch_X.Y"
        )
    groups = [g for g in match.groups() if g is not None]
    engine, major, minor = groups[0], int(groups[1]), int(groups[2])
    return engine, (major, minor)  # type: ignore[return-value]


def support_window(engine_version: str) -> SupportWindow | None:
    """The calendar row of a version, or None when AWS does not list it (never offered)."""
    engine, version = parse_engine_version(engine_version)
    return next((window for window in SUPPORT_CALENDAR if window.covers(engine, version)), None)


def size_factor(instance_type: str) -> float:
    """Normalization factor of an instance size: small 1, medium 2, large 4, xlarge 8, and
    8 per xlarge beyond (2xlarge 16 ... 32xlarge 256)."""
    size = instance_type.split(".")[1]
    fixed = {"nano": 0.25, "micro": 0.5, "small": 1, "medium": 2, "large": 4, "xlarge": 8}
    if size in fixed:
        return fixed[size]
    match = re.fullmatch(r"(\d+)xlarge", size)
    if not match:
        raise ValueError(f"cannot normalize instance size {size!r} of {instance_type}")
    return 8 * int(match.group(1))


@dataclass(frozen=True)
class SurchargePeriod:
    """The days from `start` (inclusive) to `end` (exclusive) charged at one `step`."""

    start: date
    end: date | None  # None: the last step; the page names no rate after extended support ends
    step: SurchargeStep


def surcharge_periods(engine_version: str) -> tuple[SurchargePeriod, ...] | None:
    """The surcharge steps of a version as consecutive periods, for pricing a month hour by hour:
    () when it has no surcharge (no end of standard support announced), None when AWS does not
    list the version. Raises ValueError when `engine_version` is not an engine version."""
    window = support_window(engine_version)
    if window is None:
        return None
    steps = window.surcharge
    return tuple(
        SurchargePeriod(step.starts, steps[index + 1].starts if index + 1 < len(steps) else None, step)
        for index, step in enumerate(steps)
    )


def extended_support_since(engine_version: str, on: date) -> date | None:
    """The day `engine_version` left standard support, if it has by `on` (it is then on paid
    extended support, or past it). None for versions on standard support, versions AWS does not
    list, and strings that are not engine versions (judged elsewhere)."""
    try:
        window = support_window(engine_version)
    except ValueError:
        return None
    if window is None or window.phase(on) == "standard":
        return None
    return window.standard_support_ends


def extended_support_cost_note(
    engine_version: str, on: date, nodes: dict[str, int]
) -> str:
    """What running `nodes` ({instance type: count}) on this version costs on top of the
    instance price on date `on`, in words and, for the per-NIH rate, in dollars per month."""
    window = support_window(engine_version)
    step = window.surcharge_on(on) if window else None
    if step is None:
        return "no extended-support surcharge"
    listing = " + ".join(f"{count} x {itype}" for itype, count in sorted(nodes.items()))
    if step.equals_instance_price:
        return f"{step.describe()} for {listing}"
    nih_per_hour = sum(size_factor(itype) * count for itype, count in nodes.items())
    monthly = nih_per_hour * HOURS_PER_MONTH * (step.usd_per_nih or 0)
    return (
        f"{step.describe()}: {listing} = {nih_per_hour:g} NIH per hour, "
        f"about ${monthly:,.2f} per month"
    )
