"""Several people submit the same step's form at once: one is saved, the others see the case page as it
stands now with a 409; nobody sees a server error."""

from __future__ import annotations

import pytest

from tests.api.test_racing_steps import RUNNERS, fire_together
from tests.conftest import IS_POSTGRES
from tests.web.conftest import step

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not IS_POSTGRES, reason="concurrent requests need PostgreSQL's row locks; the "
                                 "SQLite test database is one shared connection")]


def test_racing_step_forms_save_once_and_show_the_rest_the_case_as_it_is(page, walker, web_org):
    case_id = walker().case.id
    clients = [page("cell_secretary") for _ in range(RUNNERS)]
    fields = {"helper_ids": str(web_org.members["cell"][0].id), "resolution_date": "16/11/2026"}
    responses = fire_together([lambda c=c: step(c, case_id, "accept_referral", fields, version="1")
                               for c in clients])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * (RUNNERS - 1), statuses
