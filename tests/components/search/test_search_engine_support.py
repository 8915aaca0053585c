from datetime import date

import pytest

from components.search.search_engine_support import (
    EXTENDED_SUPPORT_USD_PER_NIH,
    SUPPORT_CALENDAR,
    extended_support_cost_note,
    extended_support_since,
    parse_engine_version,
    size_factor,
    support_window,
    surcharge_periods,
)

# Rows of the AWS table (SOURCES.md §4): version → (end of standard support, end of extended support).
AWS_TABLE = {
    "Elasticsearch_1.5": (date(2025, 11, 7), date(2027, 11, 7)),
    "Elasticsearch_5.5": (date(2025, 11, 7), date(2027, 11, 7)),
    "Elasticsearch_5.6": (date(2025, 11, 7), date(2028, 11, 7)),
    "Elasticsearch_6.7": (date(2025, 11, 7), date(2027, 11, 7)),
    "Elasticsearch_6.8": (date(2027, 11, 7), date(2030, 11, 7)),
    "Elasticsearch_7.8": (date(2025, 11, 7), date(2027, 11, 7)),
    "Elasticsearch_7.9": (date(2027, 11, 7), date(2028, 11, 7)),
    "Elasticsearch_7.10": (date(2027, 11, 7), date(2030, 11, 7)),
    "OpenSearch_1.2": (date(2025, 11, 7), date(2027, 11, 7)),
    "OpenSearch_1.3": (date(2027, 11, 7), date(2030, 11, 7)),
    "OpenSearch_2.3": (date(2025, 11, 7), date(2027, 11, 7)),
    "OpenSearch_2.9": (date(2025, 11, 7), date(2027, 11, 7)),
    "OpenSearch_2.11": (date(2027, 11, 7), date(2028, 11, 7)),
    "OpenSearch_2.17": (date(2027, 11, 7), date(2028, 11, 7)),
    "OpenSearch_2.19": (date(2027, 11, 7), date(2030, 11, 7)),
    "OpenSearch_3.1": (None, None),
    "OpenSearch_3.3": (None, None),
}


@pytest.mark.parametrize("version", sorted(AWS_TABLE))
def test_calendar_matches_the_aws_table(version):
    window = support_window(version)
    assert window is not None, f"{version} missing from the calendar"
    assert (window.standard_support_ends, window.extended_support_ends) == AWS_TABLE[version], version


@pytest.mark.parametrize("version", ["OpenSearch_2.10", "OpenSearch_2.18", "OpenSearch_3.0", "Elasticsearch_7.11"])
def test_versions_aws_never_offered_have_no_row(version):
    assert support_window(version) is None


def test_no_version_falls_in_two_rows():
    for window in SUPPORT_CALENDAR:
        others = [w for w in SUPPORT_CALENDAR if w is not window]
        for probe in (window.first, window.last or (window.first[0], 99)):
            overlapping = [w for w in others if w.covers(window.engine, probe)]
            assert not overlapping, f"{window.engine} {probe} is in {window} and {overlapping}"


def test_phases_follow_the_dates():
    assert support_window("OpenSearch_2.19").phase(date(2027, 11, 6)) == "standard"
    assert support_window("OpenSearch_2.19").phase(date(2027, 11, 7)) == "extended"
    assert support_window("OpenSearch_2.9").phase(date(2027, 11, 7)) == "ended"
    assert support_window("OpenSearch_3.3").phase(date(2040, 1, 1)) == "standard"


def test_the_lengthened_group_costs_the_instance_price_after_2026_11_07():
    window = support_window("OpenSearch_2.9")
    assert window.surcharge_on(date(2026, 6, 1)).usd_per_nih == EXTENDED_SUPPORT_USD_PER_NIH
    assert window.surcharge_on(date(2026, 11, 7)).equals_instance_price
    note = extended_support_cost_note("OpenSearch_2.9", date(2026, 11, 28), {"r7g.large.search": 3})
    assert "equal to the instance price" in note and "3 x r7g.large.search" in note


def test_flat_rate_note_prices_normalized_instance_hours():
    nodes = {"r7g.large.search": 3, "m7g.large.search": 3}
    note = extended_support_cost_note("Elasticsearch_7.10", date(2028, 1, 1), nodes)
    nih_per_hour = 3 * size_factor("r7g.large.search") + 3 * size_factor("m7g.large.search")
    assert f"{nih_per_hour:g} NIH per hour" in note
    assert f"${nih_per_hour * 730 * EXTENDED_SUPPORT_USD_PER_NIH:,.2f} per month" in note
    assert extended_support_cost_note("OpenSearch_3.3", date(2028, 1, 1), nodes) == "no extended-support surcharge"


@pytest.mark.parametrize(
    ("instance_type", "factor"),
    [("t3.small.search", 1), ("m7g.medium.search", 2), ("r7g.large.search", 4), ("r7g.xlarge.search", 8),
     ("r7g.2xlarge.search", 16), ("r6g.12xlarge.search", 96), ("m5.24xlarge.search", 192)],
)
def test_size_factors(instance_type, factor):
    assert size_factor(instance_type) == factor


@pytest.mark.parametrize("text", ["opensearch-2.19", "OpenSearch_2", "Elasticsearch_10.1", "OpenSearch 3.3", ""])
def test_malformed_versions_are_refused(text):
    with pytest.raises(ValueError, match="not an engine version"):
        parse_engine_version(text)


def test_version_parsing():
    assert parse_engine_version("Elasticsearch_7.10") == ("Elasticsearch", (7, 10))
    assert parse_engine_version("OpenSearch_3.3") == ("OpenSearch", (3, 3))


def test_surcharge_periods_follow_the_steps_without_gaps():
    (nih, doubled) = surcharge_periods("OpenSearch_2.9")
    assert (nih.start, nih.end, nih.step.usd_per_nih) == (date(2025, 11, 7), date(2026, 11, 7), EXTENDED_SUPPORT_USD_PER_NIH)
    assert (doubled.start, doubled.end, doubled.step.equals_instance_price) == (date(2026, 11, 7), None, True)
    (flat,) = surcharge_periods("Elasticsearch_7.10")
    assert (flat.start, flat.end, flat.step.usd_per_nih) == (date(2027, 11, 7), None, EXTENDED_SUPPORT_USD_PER_NIH)
    assert surcharge_periods("OpenSearch_3.3") == ()
    assert surcharge_periods("OpenSearch_2.10") is None


@pytest.mark.parametrize(
    ("version", "on", "since"),
    [
        ("OpenSearch_2.19", date(2027, 11, 6), None),
        ("OpenSearch_2.19", date(2027, 11, 7), date(2027, 11, 7)),
        ("Elasticsearch_7.4", date(2026, 1, 1), date(2025, 11, 7)),
        ("OpenSearch_2.9", date(2028, 1, 1), date(2025, 11, 7)),  # past extended support too
        ("OpenSearch_3.3", date(2040, 1, 1), None),
        ("OpenSearch_2.10", date(2040, 1, 1), None),  # never offered
        ("opensearch-2.9", date(2040, 1, 1), None),  # not an engine version: judged elsewhere
    ],
)
def test_extended_support_since(version, on, since):
    assert extended_support_since(version, on) == since
