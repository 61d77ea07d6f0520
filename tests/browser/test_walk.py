"""One candidate from referral to probation by clicking through the pages, each role signing in in turn;
and the stale-form conflict between two secretaries."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from casework.engine.service import start_case
from casework.extensions import db
from casework.models import User
from tests.browser.conftest import sign_in

PDF = b"%PDF-1.4\n% test document\n"


def take_step(page, trigger: str, fields: dict[str, str] | None = None, selects: dict[str, str] | None = None,
              checks: tuple[str, ...] = ()) -> None:
    """Fill one step's form on the case page and send it; the page must then say it was saved."""
    action = page.locator(f"#action-{trigger}")
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    for name, value in (fields or {}).items():
        action.locator(f'[name="{trigger}-{name}"]').fill(value)
    for name, value in (selects or {}).items():
        action.locator(f'[name="{trigger}-{name}"]').select_option(value)
    for selector in checks:
        action.locator(selector).check()
    action.locator("button[type=submit]").click()
    expect(page.locator(".flash-success").first).to_contain_text("Đã lưu")  # then, maybe, "your part is done"


def open_case(page, name: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=name).first.click()
    expect(page.locator("h1")).to_contain_text(name)


def refer_through_the_form(page) -> None:
    sign_in(page, "union_officer")
    page.get_by_role("link", name="Hồ sơ tôi giới thiệu").click()
    page.get_by_role("link", name="Giới thiệu quần chúng ưu tú").click()
    page.get_by_label("Họ và tên", exact=True).fill("Lê Thị Hồng Nhung")
    page.get_by_label("Ngày sinh", exact=True).fill("12/04/1998")
    page.get_by_label("Giới tính").select_option(label="Nữ")
    page.get_by_label("Số CCCD").fill("001198007788")
    page.get_by_label("Nơi cư trú").select_option(label="Khu phố 3")
    page.get_by_label("Chức vụ").fill("Tổ trưởng sản xuất")
    page.get_by_label("Số nghị quyết giới thiệu (4-KNĐ/4A-KNĐ)").fill("12/NQ-CĐ")
    page.get_by_label("Ngày nghị quyết giới thiệu").fill("02/11/2026")
    page.get_by_role("button", name="Gửi giới thiệu").click()
    expect(page.locator(".flash-success")).to_contain_text("Lê Thị Hồng Nhung")
    expect(page.locator("table")).to_contain_text("Được giới thiệu")


def attach(page, code: str) -> None:
    form = page.locator("#documents form")
    form.get_by_label("Mẫu").select_option(code)
    form.locator('input[type="file"]').set_input_files({"name": f"{code}.pdf", "mimeType": "application/pdf",
                                                         "buffer": PDF})
    form.get_by_role("button", name="Đính kèm").click()
    expect(page.locator(".flash-success")).to_contain_text(code)


def test_referral_to_probation_by_clicking(new_page, live_server):
    page = new_page()
    refer_through_the_form(page)
    name = "Lê Thị Hồng Nhung"
    members = [str(i) for i in live_server[2]["cell_members"][:2]]

    sign_in(page, "cell_secretary")
    expect(page.locator("table")).to_contain_text("Bí thư chi bộ")
    open_case(page, name)
    expect(page.locator(".progress [aria-current=step]")).to_contain_text("Được giới thiệu")
    take_step(page, "accept_referral", {"resolution_date": "16/11/2026"},
              checks=(f'input[name="accept_referral-helper_ids"][value="{members[0]}"]',))
    take_step(page, "enrol_course", {"course": "Lớp nhận thức K12"}, {"course_mode": "in_person"})
    take_step(page, "pass_course", {"certificate_number": "CN-1203", "certificate_date": "16/11/2026"})
    attach(page, "1-KNĐ")
    attach(page, "2-KNĐ")
    take_step(page, "request_verification",
              {"introducers-0-known_since": "01/01/2024", "introducers-1-known_since": "01/01/2024"},
              {"introducers-0-member_id": members[0], "introducers-1-member_id": members[1]})
    expect(page.locator("#action-complete_verification")).to_contain_text("chưa trả lời thẩm tra")

    sign_in(page, "residential_committee")
    page.get_by_role("link", name="Thẩm tra lý lịch").click()
    expect(page.locator("table")).to_contain_text(name)
    page.get_by_role("link", name="Trả lời", exact=True).first.click()
    page.get_by_label("Kết quả").select_option("clear")
    page.get_by_label("Số văn bản trả lời").fill("05/CV-CB")
    page.get_by_label("Ngày trả lời").fill("16/11/2026")
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã gửi trả lời")

    sign_in(page, "cell_secretary")
    open_case(page, name)
    take_step(page, "complete_verification", {"opinions_summary": "Các ý kiến đều tốt."})
    vote = page.locator("#action-record_cell_vote")
    vote.locator('[name="record_cell_vote-official_members"]').fill("5")
    vote.locator('[name="record_cell_vote-excluded_members"]').fill("0")
    expect(vote.locator("output")).to_contain_text("Cần ít nhất 4 phiếu tán thành")
    vote.locator('[name="record_cell_vote-votes_for"]').fill("3")
    expect(vote.locator("output")).to_contain_text("còn thiếu 1")
    take_step(page, "record_cell_vote", {"present": "5", "votes_for": "5", "votes_against": "0",
                                         "meeting_date": "16/11/2026"})

    sign_in(page, "grassroots_committee")
    open_case(page, name)
    take_step(page, "record_grassroots_resolution", {"committee_members": "9", "votes_for": "8",
                                                     "resolution_number": "45-NQ/ĐU", "resolution_date": "16/11/2026"})
    sign_in(page, "organizer")
    open_case(page, name)
    take_step(page, "appraise", {"appraisal": "Hồ sơ đủ điều kiện."}, {"recommendation": "admit"})
    sign_in(page, "authority")
    open_case(page, name)
    take_step(page, "decide_admission", {"decision_number": "120-QĐ/ĐU", "decision_date": "16/11/2026"})

    sign_in(page, "cell_secretary")
    open_case(page, name)
    take_step(page, "hold_ceremony", {"ceremony_date": "16/11/2026"},
              checks=(f'input[name="hold_ceremony-helper_ids"][value="{members[0]}"]',))
    expect(page.locator("h1 .badge")).to_have_text("Đảng viên dự bị")
    expect(page.locator("#candidate-title + dl")).to_contain_text("16/11/2027")


def test_a_stale_form_is_refused_with_the_fresh_case(new_page, live_server):
    _, app, known = live_server
    data = {**known["referral"], "full_name": "Phạm Quốc Bảo", "national_id": "001099005566"}
    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "union_officer"))
        case = start_case(workflow="admission", session=db.session, engine=app.extensions["casework_engine"],
                          user=officer, data=data)
        case_id = case.id
        db.session.remove()
    first, second = new_page(), new_page()
    for page in (first, second):
        sign_in(page, "cell_secretary")
        page.goto(f"/cases/{case_id}")
    helper = str(known["cell_members"][0])
    take_step(first, "accept_referral", {"resolution_date": "16/11/2026"},
              checks=(f'input[name="accept_referral-helper_ids"][value="{helper}"]',))
    action = second.locator("#action-decline_referral")
    action.locator("summary").click()
    action.locator('[name="decline_referral-reason"]').fill("Chưa đủ điều kiện.")
    action.locator("button[type=submit]").click()
    expect(second.locator(".flash-error")).to_contain_text("vừa được người khác cập nhật")
    expect(second.locator("h1 .badge")).to_have_text("Cảm tình Đảng")
    expect(second.locator("#action-enrol_course")).to_be_visible()
    assert re.search(r"/cases/\d+/actions/decline_referral$", second.url)
