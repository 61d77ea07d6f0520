"""The admission forms on paper: each prints once its step has happened (and is a 404 page saying what it waits
for before), its header names the superior organisation over the issuing one, its numbers are Vietnamese, and
its PDF carries the candidate's name with every mark, set in the one font the forms declare."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from casework.engine.calendar import add_working_days
from casework.models import Unit
from casework.web.printing.paper import document_number, long_date, organisation_name, place_name, share, vi_number
from tests.web.conftest import text

NAME = "Nguyễn Thị Hằng"
# Each form, what its title says, and the step that must have happened first (as the case page labels it).
FORMS = {
    "5b-knd": "NHẬN XÉT của chi ủy nơi cư trú",
    "5-knd": "TỔNG HỢP Ý KIẾN NHẬN XÉT",
    "6-knd": "NGHỊ QUYẾT đề nghị kết nạp đảng viên",
    "8-knd": "NGHỊ QUYẾT đề nghị kết nạp đảng viên",
    "9-knd": "QUYẾT ĐỊNH kết nạp đảng viên",
    "10-knd": "BẢN TỰ KIỂM ĐIỂM của đảng viên dự bị",
    "13-knd": "NGHỊ QUYẾT đề nghị công nhận đảng viên chính thức",
    "15-knd": "NGHỊ QUYẾT đề nghị công nhận đảng viên chính thức",
    "recognition": "QUYẾT ĐỊNH công nhận đảng viên chính thức",
}
V2_DAY = date(2027, 1, 4)  # a working Monday after version 2 takes effect


@pytest.fixture
def official(walker):
    """A version-1 case walked to official membership, its cell resolution numbered."""
    w = walker(full_name=NAME)
    w.to("cell_review")
    w.admission_day = w.today  # every admission step is taken on this day; recognition a year later
    w.act("cell_secretary", "record_cell_vote", w.vote(official_members=7, present=7, votes_for=5, votes_against=2,
                                                       minutes_number="12"))
    w.to("official_member")
    return w


def test_every_form_prints_once_the_case_reached_its_step(page, official):
    client = page("cell_secretary")
    for code, title in FORMS.items():
        response = client.get(f"/cases/{official.case.id}/print/{code}")
        assert response.status_code == 200, code
        shown = text(response)
        assert title in shown and NAME in shown and "ĐẢNG CỘNG SẢN VIỆT NAM" in shown, code


def test_headers_name_the_superior_over_the_issuer_never_the_cell_twice(page, official):
    client = page("cell_secretary")
    day = long_date(official.admission_day)
    for code, superior, issuer in (("6-knd", "ĐẢNG BỘ KCN QUẾ VÕ", "CHI BỘ CÔNG TY HÒA PHÁT"),
                                   ("5-knd", "ĐẢNG BỘ KCN QUẾ VÕ", "CHI BỘ CÔNG TY HÒA PHÁT"),
                                   ("5b-knd", "ĐẢNG BỘ PHƯỜNG KINH BẮC", "CHI BỘ KHU PHỐ 3"),
                                   ("8-knd", "ĐẢNG BỘ PHƯỜNG KINH BẮC", "ĐẢNG ỦY KCN QUẾ VÕ"),
                                   ("9-knd", "ĐẢNG BỘ TỈNH BẮC NINH", "ĐẢNG ỦY PHƯỜNG KINH BẮC")):
        shown = text(client.get(f"/cases/{official.case.id}/print/{code}"))
        assert f"{superior} {issuer} *" in shown, code
        assert "CHI BỘ CHI BỘ" not in shown and f"Kinh Bắc, {day}" in shown, code


def test_number_lines_complete_a_bare_number_and_keep_a_whole_one(page, official):
    client = page("cell_secretary")
    assert "* Số: 12-NQ/CB ĐẢNG CỘNG SẢN" in text(client.get(f"/cases/{official.case.id}/print/6-knd"))
    assert "* Số: 45-NQ/ĐU ĐẢNG CỘNG SẢN" in text(client.get(f"/cases/{official.case.id}/print/8-knd"))
    decision = text(client.get(f"/cases/{official.case.id}/print/9-knd"))
    assert "* Số: 120-QĐ/ĐU ĐẢNG CỘNG SẢN" in decision
    assert "Nghị quyết đề nghị kết nạp đảng viên số 12-NQ/CB, ngày" in decision


def test_a_vote_at_its_two_thirds_boundary_reads_in_vietnamese_numbers(page, official):
    """5 of 7 is the smallest majority that passes (⌈2/3 × 7⌉ = 5): 71,4 % for, 28,6 % against."""
    shown = text(page("cell_secretary").get(f"/cases/{official.case.id}/print/6-knd"))
    assert "tán thành: 5 đồng chí, đạt 71,4 % so với số đảng viên chính thức được tính" in shown
    assert "Số không tán thành: 2 đồng chí, chiếm 28,6 %" in shown
    assert "71.4" not in shown


def test_the_forms_stay_vietnamese_when_the_pages_are_in_english(page, official):
    client = page("cell_secretary")
    client.post("/language", data={"locale": "en"})
    shown = text(client.get(f"/cases/{official.case.id}/print/6-knd"))
    assert "Party forms are printed in Vietnamese." in shown and "đạt 71,4 %" in shown
    refused = text(client.get(f"/cases/{official.case.id}/print/member-file"))
    assert "version 1 of the procedure" in refused


def test_vietnamese_numbers_and_dates_on_paper(app):
    with app.test_request_context():
        assert vi_number(1234) == "1.234" and vi_number(1234567.5, 1) == "1.234.567,5"
        assert share(5, 7) == "71,4\u00a0%" and share(2, 3) == "66,7\u00a0%" and share(9, 9) == "100,0\u00a0%"
        assert share(1, 0) == "" and share(None, 7) == ""
    assert long_date(date(2027, 2, 5)) == "ngày 05 tháng 02 năm 2027"
    assert long_date(date(2026, 11, 16)) == "ngày 16 tháng 11 năm 2026"
    assert long_date(None) == "ngày … tháng … năm …"


def test_committee_names_give_their_organisation_and_place(web_org):
    units = web_org.units
    assert organisation_name(units["province"]) == "Đảng bộ tỉnh Bắc Ninh"
    assert organisation_name(units["grassroots"]) == "Đảng bộ KCN Quế Võ"
    assert organisation_name(units["cell"]) == "Chi bộ Công ty Hòa Phát"
    assert place_name(units["cell"]) == "Kinh Bắc" and place_name(units["province"]) == "Bắc Ninh"
    assert document_number("", "NQ", units["cell"]) == "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-NQ/CB"
    assert document_number("7", "QĐ", units["commune"]) == "Số: 7-QĐ/ĐU"
    assert document_number("15-NQ/TU", "NQ", units["province"]) == "Số: 15-NQ/TU"
    # The demo names its province after the organisation: the same place, the same abbreviation.
    named_as_organisation = Unit(kind="province", name="Đảng bộ tỉnh Bắc Ninh")
    assert organisation_name(named_as_organisation) == "Đảng bộ tỉnh Bắc Ninh"
    assert place_name(named_as_organisation) == "Bắc Ninh"
    assert document_number("3", "QĐ", named_as_organisation) == "Số: 3-QĐ/TU"


def test_a_form_whose_step_has_not_happened_is_a_404_page_saying_which(page, walker):
    case = walker(full_name=NAME).to("cell_review")
    client = page("cell_secretary")
    for url in (f"/cases/{case.id}/print/6-knd", f"/cases/{case.id}/print/6-knd.pdf"):
        response = client.get(url)
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert "in được sau khi đã ghi" in text(response) and "NGHỊ QUYẾT" not in text(response)
    assert client.get(f"/cases/{case.id}/print/5-knd").status_code == 200
    assert client.get(f"/cases/{case.id}/print/0-knd").status_code == 404


def test_the_recognition_resolutions_wait_for_their_own_stage(page, walker):
    w = walker(full_name=NAME)
    w.to("recognition_review", stage="grassroots_vote")
    client = page("cell_secretary")
    assert client.get(f"/cases/{w.case.id}/print/13-knd").status_code == 200
    assert client.get(f"/cases/{w.case.id}/print/15-knd").status_code == 404


def test_the_member_file_reminder_is_version_2s_and_says_so_on_version_1(app, page, walker):
    v1 = walker(full_name=NAME).to("probation")
    client = page("cell_secretary")
    refused = client.get(f"/cases/{v1.id}/print/member-file")
    assert refused.status_code == 404 and "phiên bản 1" in text(refused)
    app.extensions["casework_engine"].clock.set_day(V2_DAY)
    v2 = walker(full_name="Trần Văn Đức").to("probation")
    assert v2.workflow_version == 2
    shown = text(client.get(f"/cases/{v2.id}/print/member-file"))
    assert "PHIẾU NHẮC VIỆC" in shown and "Trần Văn Đức" in shown
    assert f"hoàn thành trước ngày {add_working_days(V2_DAY, 30):%d/%m/%Y}" in shown


def test_the_probation_papers_print_what_the_recognition_review_recorded(page, walker):
    w = walker(full_name=NAME)
    w.to("probation")
    w.act("cell_secretary", "record_new_member_course", {"certificate_number": "DVM-9",
                                                         "certificate_date": w.today.isoformat()})
    helper = w.cell_members()[0]
    w.engine.clock.set_day(w.case.date("probation_ends"))
    w.act("cell_secretary", "start_recognition", {"helper_review": "Đồng chí Hằng gương mẫu, nhiệt tình.",
                                                  "opinions": "Công đoàn và chi ủy nơi cư trú đều nhất trí."})
    client = page("cell_secretary")
    review = text(client.get(f"/cases/{w.case.id}/print/11-knd"))
    assert "BẢN NHẬN XÉT ĐẢNG VIÊN DỰ BỊ" in review and "gương mẫu, nhiệt tình" in review
    assert f"ĐẢNG VIÊN GIÚP ĐỠ (Ký, ghi rõ họ tên) {helper.full_name}" in review
    assert "Mẫu 11-KNĐ ĐẢNG CỘNG SẢN VIỆT NAM Kinh Bắc, ngày" in review  # a person's paper: the motto alone
    opinions = text(client.get(f"/cases/{w.case.id}/print/12-knd"))
    assert "ĐẢNG BỘ KCN QUẾ VÕ CHI BỘ CÔNG TY HÒA PHÁT *" in opinions and "đều nhất trí" in opinions
    unwritten = client.get(f"/cases/{w.case.id}/print/10-knd")
    assert unwritten.status_code == 404 and "không có bản tự kiểm điểm" in text(unwritten)


def test_a_version_2_cell_resolution_prints_the_registers_count(app, page, walker):
    """Version 2 takes the official members from the register when none is typed; the resolution shows it."""
    app.extensions["casework_engine"].clock.set_day(V2_DAY)
    w = walker(full_name="Lê Văn Tám")
    w.to("cell_review")
    vote = w.vote(present=4, votes_for=4, votes_against=0)
    del vote["official_members"]
    w.act("cell_secretary", "record_cell_vote", vote)
    shown = text(page("cell_secretary").get(f"/cases/{w.case.id}/print/6-knd"))
    assert w.case.workflow_version == 2
    assert "Tổng số đảng viên chính thức của chi bộ: 5 đồng chí" in shown and "đạt 80,0 %" in shown


def test_someone_outside_the_cases_units_gets_neither_page_nor_pdf(page, official):
    for username in ("other_secretary", "residential_committee"):
        client = page(username)
        for url in (f"/cases/{official.case.id}/print/9-knd", f"/cases/{official.case.id}/print/9-knd.pdf"):
            response = client.get(url)
            assert response.status_code == 404 and NAME not in response.get_data(as_text=True), (username, url)


def test_the_case_page_offers_each_form_and_its_pdf(page, official):
    body = page("cell_secretary").get(f"/cases/{official.case.id}").get_data(as_text=True)
    for code in FORMS:
        assert f'href="/cases/{official.case.id}/print/{code}.pdf"' in body


def test_the_pdf_carries_the_name_with_its_marks_in_the_declared_font(page, official, caplog):
    response = page("cell_secretary").get(f"/cases/{official.case.id}/print/9-knd.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(BytesIO(response.data))
    extracted = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert NAME in extracted and "ĐẢNG ỦY PHƯỜNG KINH BẮC" in extracted and "Số: 120-QĐ/ĐU" in extracted
    fonts = {str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
             for page_ in reader.pages for font in page_["/Resources"]["/Font"].values()}
    assert fonts and all(name.startswith("DejaVu-Serif") for name in fonts), fonts
    # The @font-face rules themselves loaded (not a silent fall-back to whatever the system matches).
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
