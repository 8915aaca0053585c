from datetime import date

from components.capacity.cluster_autoscaler import CHART_FOR_KUBERNETES
from components.cluster.eks_versions import END_OF_STANDARD_SUPPORT, known_versions


def test_every_version_with_a_pinned_autoscaler_is_in_the_calendar():
    missing = sorted(set(CHART_FOR_KUBERNETES) - set(END_OF_STANDARD_SUPPORT))
    assert not missing, f"cluster-autoscaler pinned for versions the EKS calendar lacks: {missing}"


def test_newer_versions_leave_standard_support_later():
    ends = [END_OF_STANDARD_SUPPORT[version] for version in known_versions()]
    assert ends == sorted(ends), f"calendar out of order: {dict(zip(known_versions(), ends, strict=True))}"


def test_the_default_version_is_on_standard_support_in_the_documented_window():
    # docs/cluster.md and the config reference quote this date (awsdocs / endoflife.date, see the module).
    assert END_OF_STANDARD_SUPPORT["1.35"] == date(2027, 3, 27)
