"""Referral form and one's referrals with their current step."""

from __future__ import annotations

from casework.extensions import db
from casework.models import Case
from tests.web.conftest import text


def _form(org, **overrides) -> dict:
    data = {"full_name": "Đặng Thu Thảo", "birth_date": "05/09/1999", "gender": "female", "national_id": "001199004321",
            "residence_unit": str(org.area.id), "workplace_unit": str(org.enterprise.id), "source": "youth_union",
            "referring_org": str(org.youth_union.id), "referral_number": "03/NQ-ĐTN", "referral_date": "10/11/2026"}
    data.update(overrides)
    return {f"refer-{k}": v for k, v in data.items()}


def test_the_form_is_filled_from_the_officers_hat(page, web_org):
    body = page("youth_officer").get("/referrals/new").get_data(as_text=True)
    assert f'<option selected value="{web_org.youth_union.id}">' in body
    assert f'<option selected value="{web_org.enterprise.id}">' in body
    assert 'value="youth_union" selected' in body or '<option selected value="youth_union">' in body


def test_a_youth_officer_refers_and_follows_the_case(page, web_org):
    client = page("youth_officer")
    response = client.post("/referrals/new", data=_form(web_org))
    assert response.status_code == 302
    case = db.session.query(Case).one()
    assert case.candidate.birth_date.isoformat() == "1999-09-05" and case.referring_org_id == web_org.youth_union.id
    listing = text(client.get("/referrals/"))
    assert "Đặng Thu Thảo" in listing and "Được giới thiệu" in listing and "10/11/2026" in listing


def test_the_engine_refuses_a_second_open_case_with_its_reason(page, web_org):
    client = page("youth_officer")
    client.post("/referrals/new", data=_form(web_org))
    again = client.post("/referrals/new", data=_form(web_org))
    assert again.status_code == 422
    assert db.session.query(Case).count() == 1


def test_missing_fields_are_named_by_the_engine(page, web_org):
    response = page("youth_officer").post("/referrals/new", data=_form(web_org, full_name=""))
    assert response.status_code == 422 and "Họ và tên: bắt buộc" in text(response)


def test_a_date_that_is_not_a_date_is_named(page, web_org):
    response = page("youth_officer").post("/referrals/new", data=_form(web_org, birth_date="1/13/1999"))
    assert response.status_code == 422 and "Hãy nhập ngày hợp lệ dạng dd/mm/yyyy." in text(response)


def test_a_cell_secretary_introduces_a_member(page, web_org):
    client = page("cell_secretary")
    response = client.post("/referrals/new", data=_form(web_org, source="party_member", referring_org=""))
    assert response.status_code == 302, text(response)
    assert "Đặng Thu Thảo" in text(client.get("/referrals/"))


def test_people_who_do_not_refer_cannot_open_the_form(page):
    assert page("authority").get("/referrals/new").status_code == 403
    assert "Bạn chưa giới thiệu ai." in text(page("authority").get("/referrals/"))


def test_an_officer_cannot_refer_for_another_organisation(page, web_org):
    response = page("union_officer").post("/referrals/new", data=_form(
        web_org, source="trade_union", referring_org=str(web_org.other_union.id)))
    assert response.status_code in (403, 422)
    assert db.session.query(Case).count() == 0
