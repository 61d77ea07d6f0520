"""Documents (PDF/JPEG/PNG within a size limit, checked by content) and the printable forms."""

from __future__ import annotations

from io import BytesIO

from casework.extensions import db
from casework.models import Document
from tests.web.conftest import text

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _upload(client, case_id, content, name="scan.png", code="2-KNĐ"):
    return client.post(f"/cases/{case_id}/documents", data={"form_code": code, "file": (BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_upload_and_download_with_form_code(page, walker):
    case = walker().case
    client = page("cell_secretary")
    shown = text(_upload(client, case.id, PNG))
    assert "Đã đính kèm scan.png (2-KNĐ)" in shown
    doc = db.session.query(Document).one()
    assert doc.content_type == "image/png" and doc.form_code == "2-KNĐ"
    download = client.get(f"/cases/{case.id}/documents/{doc.id}")
    assert download.data == PNG and "attachment" in download.headers["Content-Disposition"]
    download.close()


def test_a_file_that_is_not_pdf_or_image_is_refused(page, walker):
    case = walker().case
    shown = text(_upload(page("cell_secretary"), case.id, b"MZ\x90\x00 not a pdf", name="virus.pdf"))
    assert "Chỉ nhận tệp PDF, JPEG hoặc PNG." in shown
    assert db.session.query(Document).count() == 0


def test_a_file_over_the_limit_is_refused(app, page, walker):
    app.config["MAX_DOCUMENT_BYTES"] = 100  # the one setting the API uses too
    case = walker().case
    shown = text(_upload(page("cell_secretary"), case.id, b"%PDF-1.4" + b"x" * 200, name="big.pdf"))
    assert "lớn hơn" in shown and db.session.query(Document).count() == 0


def test_printable_forms_are_filled_from_the_case(page, walker):
    case = walker(full_name="Bùi Thị Xuân").to("admitted")
    client = page("cell_secretary")
    summary = text(client.get(f"/cases/{case.id}/print/5-knd"))
    assert "TỔNG HỢP Ý KIẾN" in summary and "Các ý kiến đều tốt." in summary and "05/CV" in summary
    resolution = text(client.get(f"/cases/{case.id}/print/6-knd"))
    assert "NGHỊ QUYẾT" in resolution and "tán thành: 5 đồng chí, đạt 100,0 %" in resolution
    decision = client.get(f"/cases/{case.id}/print/9-knd").get_data(as_text=True)
    assert "QUYẾT ĐỊNH" in decision and "120-QĐ/ĐU" in decision and "Bùi Thị Xuân" in decision
    assert 'media="print"' in decision


def test_a_form_not_yet_recorded_says_which_step_is_missing(page, walker):
    case = walker().case
    shown = text(page("cell_secretary").get(f"/cases/{case.id}/print/9-knd"))
    assert "Quyết định kết nạp (9-KNĐ)" in shown and "QUYẾT ĐỊNH kết nạp" not in shown


def _stored(case_id: int, filename: str) -> Document:
    """A row as an older version kept it, its name not cleaned."""
    doc = Document(case_id=case_id, form_code="2-KNĐ", filename=filename, content_type="image/png", size=len(PNG),
                   sha256="0" * 64, content=PNG)
    db.session.add(doc)
    db.session.commit()
    return doc


def test_a_name_with_a_line_break_is_cleaned_at_upload_and_a_stored_one_still_downloads(page, walker):
    case = walker().case
    client = page("cell_secretary")
    _upload(client, case.id, PNG, name="scan\tcopy\u202e.png")
    assert db.session.query(Document).one().filename == "scan copy.png"
    old = _stored(case.id, "biên bản\nhọp.png")
    download = client.get(f"/cases/{case.id}/documents/{old.id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"bien ban hop.png\"; filename*=UTF-8''bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.png")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()


def test_a_vietnamese_name_downloads_under_its_own_name_and_an_ascii_one(page, walker):
    case = walker().case
    doc = _stored(case.id, "Đơn xin vào Đảng.png")
    download = page("cell_secretary").get(f"/cases/{case.id}/documents/{doc.id}")
    disposition = download.headers["Content-Disposition"]
    assert 'filename="Don xin vao Dang.png"' in disposition
    assert "filename*=UTF-8''%C4%90%C6%A1n%20xin%20v%C3%A0o%20%C4%90%E1%BA%A3ng.png" in disposition
    download.close()
