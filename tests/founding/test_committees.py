"""Which committee founds in an enterprise, set per unit (workflows/founding/committees.py): the tree's committee
by default, an administrator's setting on the enterprise or on a committee above it otherwise (the nearest wins),
only a grassroots or commune/ward committee accepted; the setting on the unit's administration page, bad input
answered with a message; a case under a committee set elsewhere in the tree reaching its proposal."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from casework.engine.unit_settings import UNIT_SETTINGS
from casework.extensions import db
from tests.founding.support import FoundingWalker
from tests.web.conftest import sign_in, text
from workflows.founding.committees import SETTING, FoundingCommittee, check_committee
from workflows.founding.subject import founding_committee_of


def test_the_tree_decides_without_a_setting_and_the_nearest_setting_wins(session, forg):
    u = forg.units
    assert founding_committee_of(session, u["sao_vang"]) == u["grassroots"]  # the zone's committee
    assert founding_committee_of(session, u["shop"]) == u["commune"]  # the commune where it is
    assert SETTING.save(session, u["commune"], u["grassroots"].id) is None  # every enterprise under the commune
    assert founding_committee_of(session, u["shop"]) == u["grassroots"]
    assert founding_committee_of(session, u["sao_vang"]) == u["grassroots"]
    assert SETTING.save(session, u["shop"], u["commune"].id) is None  # the enterprise's own setting comes first
    assert founding_committee_of(session, u["shop"]) == u["commune"]
    assert SETTING.save(session, u["shop"], None) is None  # cleared: the commune's applies again
    assert founding_committee_of(session, u["shop"]) == u["grassroots"]
    assert session.scalar(sa.select(sa.func.count()).select_from(FoundingCommittee)) == 1


def test_only_a_committee_that_founds_may_be_set(session, forg):
    u = forg.units
    for unit in ("residential_cell", "sao_vang", "province"):
        reason = SETTING.save(session, u["shop"], u[unit].id)
        assert reason.code == "not_a_founding_committee" and u[unit].name in reason.en, unit
    assert SETTING.save(session, u["shop"], 10**9).code == "unknown_unit"
    assert SETTING.save(session, u["residential_cell"], u["commune"].id).code == "not_settable"
    assert check_committee(session, u["commune"].id) is None and check_committee(session, u["grassroots"].id) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(FoundingCommittee)) == 0


def test_a_case_opened_under_a_committee_set_elsewhere_reaches_its_proposal(session, engine, forg):
    """The shop lies under the commune; the zone's committee, set for it, founds there and names itself as the
    unit the new cell reports to, though it is not above the shop in the tree."""
    u = forg.units
    SETTING.save(session, u["shop"], u["grassroots"].id)
    session.commit()
    walker = FoundingWalker(session, engine, forg, enterprise="shop")
    assert walker.case.owning_cell_id == u["grassroots"].id
    walker.to("proposal")
    walker.act("grassroots_committee", "submit_proposal", walker.proposal(reports_to=u["grassroots"].id))
    assert walker.case.state == "authority_review"


@pytest.fixture
def admin(app, web_forg):
    client = app.test_client()
    assert sign_in(client, "admin").status_code == 302
    return client


def test_the_setting_on_the_units_page(admin, web_forg):
    u = web_forg.units
    page = text(admin.get(f"/admin/units/{u['shop'].id}"))
    assert "Đảng ủy thành lập tổ chức đảng trong doanh nghiệp" in page
    assert f"Theo mặc định: {u['commune'].name}" in page
    assert "Đảng ủy thành lập" not in text(admin.get(f"/admin/units/{u['residential_cell'].id}"))

    url = f"/admin/units/{u['shop'].id}/settings/founding_committee"
    response = admin.post(url, data={"value": str(u["grassroots"].id)})
    assert response.status_code == 302
    assert db.session.get(FoundingCommittee, u["shop"].id).committee_id == u["grassroots"].id
    assert 'selected>' + u["grassroots"].name in admin.get(f"/admin/units/{u['shop'].id}").get_data(as_text=True)

    for bad in (str(u["residential_cell"].id), "abc", "-1", "99999999", str(u["sao_vang"].id)):
        response = admin.post(url, data={"value": bad})
        assert response.status_code == 422, bad
        assert "Hãy chọn một trong các đơn vị trong danh sách." in text(response), bad
    db.session.expire_all()
    assert db.session.get(FoundingCommittee, u["shop"].id).committee_id == u["grassroots"].id  # unchanged

    assert admin.post(url, data={"value": ""}).status_code == 302  # back to the tree's committee
    db.session.expire_all()
    assert db.session.get(FoundingCommittee, u["shop"].id) is None
    assert admin.post(f"/admin/units/{u['residential_cell'].id}/settings/founding_committee",
                      data={"value": str(u["commune"].id)}).status_code == 404
    assert admin.post(f"/admin/units/{u['shop'].id}/settings/no_such_setting", data={"value": ""}).status_code == 404


def test_a_refused_committee_is_a_message_not_an_error(admin, web_forg, monkeypatch):
    """A unit among the choices that the setting still refuses (the choices widened here to every unit managed)."""
    u = web_forg.units
    widened = dataclasses.replace(SETTING, choices=lambda session, unit, managed: [(m.id, m.name) for m in managed])
    monkeypatch.setitem(UNIT_SETTINGS, "founding_committee", widened)
    response = admin.post(f"/admin/units/{u['shop'].id}/settings/founding_committee",
                          data={"value": str(u["residential_cell"].id)})
    assert response.status_code == 422
    assert "không thể thành lập tổ chức đảng trong doanh nghiệp" in text(response)
    assert db.session.get(FoundingCommittee, u["shop"].id) is None
