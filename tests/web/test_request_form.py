"""The verification-request form shows only the fields that apply to the candidate (one rule, the definition's
``applies_if``), the history records nothing of fields that did not apply, and a missing 1-KNĐ/2-KNĐ says what to
do instead of "required"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import Invalid
from casework.extensions import db
from casework.models import Event
from tests.web.conftest import step, text

FIELD = 'name="request_verification-{}"'


def _form(page, case_id: int) -> str:
    return page("cell_secretary").get(f"/cases/{case_id}").get_data(as_text=True)


def test_a_young_employee_is_not_asked_the_over_60_or_business_owner_questions(page, walker):
    case = walker(birth_date="1997-05-01").to("dossier")
    body = _form(page, case.id)
    assert FIELD.format("introducers") in body or "request_verification-introducers" in body
    assert FIELD.format("exception_approval") not in body
    assert FIELD.format("business_owner_conditions") not in body


@pytest.mark.parametrize(("birth_date", "asked"), [("1966-11-16", True), ("1966-11-17", False)])
def test_the_age_limit_question_from_the_day_the_candidate_turns_60(page, walker, birth_date, asked):
    case = walker(birth_date=birth_date).to("dossier")  # the test clock's today: 16/11/2026
    assert (FIELD.format("exception_approval") in _form(page, case.id)) is asked


def test_a_candidate_past_the_age_limit_gets_the_form_with_the_approval_question(page, walker):
    case = walker(birth_date="1965-11-16").to("dossier")  # 61 today: only with the approval
    body = _form(page, case.id)
    assert FIELD.format("exception_approval") in body and FIELD.format("application") in body


def test_a_business_owner_is_asked_the_business_owner_question(page, walker):
    w = walker(birth_date="1990-01-10")
    w.case.candidate.is_business_owner = True
    db.session.commit()
    case = w.to("dossier")
    assert FIELD.format("business_owner_conditions") in _form(page, case.id)


def test_the_history_records_nothing_of_a_question_not_asked(walker):
    w = walker(birth_date="1997-05-01")
    case = w.to("verification")  # the walker's request sends no business-owner answer
    event = db.session.scalars(sa.select(Event).where(Event.case_id == case.id,
                                                      Event.trigger == "request_verification")).one()
    assert "business_owner_conditions" not in event.data
    assert "business_owner_conditions" not in (case.facts or {})


def test_an_unticked_box_that_does_not_apply_is_dropped_and_a_value_is_refused(walker):
    w = walker(birth_date="1996-05-01")
    w.to("dossier")
    w.attach_dossier()
    with pytest.raises(Invalid) as refused:
        w.act(w.secretary(), "request_verification", w.verification_data(business_owner_conditions=True))
    assert [r.code for r in refused.value.reasons] == ["field_not_applicable"]
    db.session.rollback()
    case = w.act(w.secretary(), "request_verification", w.verification_data(business_owner_conditions=False))
    assert case.state == "verification" and "business_owner_conditions" not in case.events[-1].data


def test_missing_forms_say_what_to_do(page, walker):
    case = walker().to("dossier")
    client = page("cell_secretary")
    body = text(client.get(f"/cases/{case.id}"))
    assert "Chưa có tệp 1-KNĐ: hãy tải lên ở mục “Tài liệu” trên trang này" in body
    response = step(client, case.id, "request_verification", {})
    assert response.status_code == 422
    assert "chưa có tệp 1-KNĐ trong hồ sơ: hãy tải lên ở mục Tài liệu" in text(response)


def test_the_residence_list_keeps_workplace_cells_apart_from_neighbourhoods(page):
    body = page("union_officer").get("/referrals/new").get_data(as_text=True)
    select = body[body.index('name="refer-residence_unit"'):]
    select = select[:select.index("</select>")]
    groups = [g for g in ("Khu dân cư", "Chi bộ khu dân cư", "Chi bộ nơi làm việc") if f'label="{g}"' in select]
    assert groups == ["Khu dân cư", "Chi bộ khu dân cư", "Chi bộ nơi làm việc"]
    workplace = select[select.index('label="Chi bộ nơi làm việc"'):]
    assert "Chi bộ Công ty Hòa Phát" in workplace and "Khu phố 3" not in workplace
