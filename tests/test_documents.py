"""The file rules every face shares: size at its boundary, type read from the content."""

import pytest

from casework.documents import DocumentRefused, make_document

PDF = b"%PDF-1.4\n"


def _make(content: bytes, max_bytes: int = 100, declared_type: str | None = None):
    return make_document(case_id=1, form_code="1-KNĐ", filename="C:\\scans\\don.pdf", content=content,
                         max_bytes=max_bytes, user_id=None, declared_type=declared_type)


def test_a_file_of_exactly_the_limit_is_kept_and_named_without_its_path():
    doc = _make(PDF + b"x" * (100 - len(PDF)))
    assert doc.size == 100 and doc.content_type == "application/pdf" and doc.filename == "don.pdf"


@pytest.mark.parametrize(("content", "declared", "code"), [
    (PDF + b"x" * (101 - len(PDF)), None, "file_size"),
    (b"", None, "file_empty"),
    (b"MZ\x90\x00", None, "file_type_not_allowed"),
    (PDF, "application/x-msdownload", "file_type_not_allowed"),
    (PDF, "image/png", "file_content_mismatch"),
])
def test_a_refused_file_says_why_in_both_languages(content, declared, code):
    with pytest.raises(DocumentRefused) as refused:
        _make(content, declared_type=declared)
    reason = refused.value.reason
    assert reason.code == code and reason.vi and reason.en and reason.vi != reason.en


@pytest.mark.parametrize(("given", "kept"), [
    ("bien ban\r\nhop.pdf", "bien ban hop.pdf"),
    ("a\x00b\x1b[31m.pdf", "a b [31m.pdf"),
    ("\u202egpj.pdf", "gpj.pdf"),  # a right-to-left override would show it as "fdp.jpg"
    ("Đơn xin vào Đảng.pdf", "Đơn xin vào Đảng.pdf"),
    ("Đo\u031bn.pdf", "Đơn.pdf"),  # decomposed as some systems send it, kept composed
    ("\n\t ", "document"),
])
def test_a_file_name_is_kept_without_line_breaks_or_control_characters(given, kept):
    doc = make_document(case_id=1, form_code="1-KNĐ", filename=given, content=PDF, max_bytes=100, user_id=None)
    assert doc.filename == kept
