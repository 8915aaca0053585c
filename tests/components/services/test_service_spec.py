"""What `ServiceSpec` refuses before anything is rendered."""

from __future__ import annotations

import pytest

from components.services.service_spec import Variant
from tests.components.services.service_specs import DIGEST_A, DIGEST_B, spec


def test_latest_and_unbalanced_weights_are_refused_by_the_component_too():
    with pytest.raises(ValueError, match="latest"):
        spec(variants=(Variant(tag="latest"),))
    with pytest.raises(ValueError, match="sum to 100"):
        spec(variants=(Variant(name="a", digest=DIGEST_A, weight=50), Variant(name="b", digest=DIGEST_B, weight=40)))
