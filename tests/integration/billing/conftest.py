"""Fixtures for the billing tests: B1's (``billing_on``, ``queued``) from b1_fixtures.py. Other
helpers are plain functions imported by the test modules."""

import pytest

from billing.plan_catalog import plans_ensure
from tests.integration.billing.b1_fixtures import billing_on, queued  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _plan_catalogue(db):
    """An earlier transactional test's flush (any live-server test) empties the seeded plans."""
    plans_ensure()
