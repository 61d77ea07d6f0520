"""Malformed ids on the pages: a path id that is not one is a plain 404, a query's is ignored, a form's is
refused with the engine's reason; never a 500, and nothing is written."""

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import Event
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import step, version_of

NOT_IDS = ["2147483648", "99999999999999999999", "²", "٣", "-1", "0"]


@pytest.mark.parametrize("bad", NOT_IDS + ["2147483647"])
def test_a_path_id_that_names_nothing_is_a_404(page, bad):
    client = page("cell_secretary")
    for url in (f"/cases/{quote(bad)}", f"/cases/{quote(bad)}/documents/1", f"/cases/1/documents/{quote(bad)}",
                f"/verification/{quote(bad)}"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("bad", NOT_IDS)
def test_an_id_in_a_query_that_is_not_one_is_ignored(page, bad):
    assert page("cell_secretary").get(f"/?unit={quote(bad)}").status_code == 200
    assert page("cell_secretary").get(f"/?after=n:{quote(bad)}").status_code == 200
    assert page("residential_committee").get(f"/verification/?after=n:{quote(bad)}").status_code == 200
    assert page("union_officer").get(f"/referrals/?before={quote(bad)}").status_code == 200
    organizer = page("organizer")
    for url in ("/monitoring/?unit={}", "/monitoring/access-log?case_id={}", "/monitoring/access-log?before={}"):
        assert organizer.get(url.format(quote(bad))).status_code == 200, url


def _events(case_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))


@pytest.mark.parametrize("bad", NOT_IDS)
def test_a_member_id_in_a_form_that_is_not_one_is_refused(page, walker, bad):
    case = walker().case
    client = page("cell_secretary")
    response = step(client, case.id, "accept_referral", {"helper_ids": bad, "resolution_date": "16/11/2026"})
    assert response.status_code == 422
    assert _events(case.id) == 1


@pytest.mark.parametrize("bad", NOT_IDS)
def test_a_version_in_a_form_that_is_not_one_is_refused(page, walker, web_org, bad):
    case = walker().case
    client = page("cell_secretary")
    assert version_of(client, case.id) == "1"
    helper = str(web_org.members["cell"][0].id)
    response = step(client, case.id, "accept_referral", {"helper_ids": helper, "resolution_date": "16/11/2026"},
                    version=bad)
    assert response.status_code in (409, 422)
    assert _events(case.id) == 1


def test_every_route_reads_its_ids_with_the_id_converter(app):
    """Werkzeug's int converter takes any length of digits, and the database then fails on the number: every
    path id in the app goes through casework.ids instead (pages, API, administration)."""
    from werkzeug.routing import IntegerConverter

    loose = [rule.rule for rule in app.url_map.iter_rules()
             if any(isinstance(c, IntegerConverter) for c in rule._converters.values())]
    assert loose == []


@pytest.mark.parametrize("bad", NOT_IDS)
def test_an_account_action_on_a_malformed_id_is_a_404(page, web_org, bad):
    use_session(db.session)
    RoleFactory(user=UserFactory(username="admin", full_name="Quản Trị Viên"), unit=web_org.commune, role="admin")
    db.session.commit()
    admin = page("admin")
    for action in ("deactivate", "reactivate", "sign-out-everywhere"):
        assert admin.post(f"/admin/accounts/{quote(bad)}/{action}").status_code == 404
    assert admin.get(f"/admin/accounts/{quote(bad)}").status_code == 404
