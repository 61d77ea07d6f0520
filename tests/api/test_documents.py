"""Attaching and downloading files: types, sizes, encoding, and scope."""

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Document
from tests.api.helpers import PDF, PNG, b64, codes, document
from tests.walk import referral


def _case(api, web_org) -> dict:
    return api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Document))


def test_upload_then_download_the_same_bytes(api, web_org):
    case = _case(api, web_org)
    secretary = api("cell_secretary")
    created = secretary.post(f"/api/v1/cases/{case['id']}/documents", json=document("1-KNĐ"))
    assert created.status_code == 201
    doc = created.get_json()
    assert doc["form_code"] == "1-KNĐ" and doc["size"] == len(PDF)
    listed = secretary.get(f"/api/v1/cases/{case['id']}").get_json()["documents"]
    assert [d["id"] for d in listed] == [doc["id"]]
    download = secretary.get(f"/api/v1/cases/{case['id']}/documents/{doc['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_png_is_accepted(api, web_org):
    case = _case(api, web_org)
    response = api("cell_secretary").post(f"/api/v1/cases/{case['id']}/documents",
                                          json=document("2-KNĐ", PNG, "image/png"))
    assert response.status_code == 201


def test_refused_files_are_422_with_a_reason(app, api, web_org):
    case = _case(api, web_org)
    client = api("cell_secretary")
    url = f"/api/v1/cases/{case['id']}/documents"
    app.config["MAX_DOCUMENT_BYTES"] = 64
    refused = {
        "bad_base64": {**document(), "content_base64": "not base64!"},
        "file_type_not_allowed": document(content=b"MZ\x90\x00", content_type="application/x-msdownload"),
        "file_content_mismatch": document(content=b"<html>hello</html>"),
        "file_size": document(content=b"%PDF-" + b"x" * 64),
    }
    for code, body in refused.items():
        response = client.post(url, json=body)
        assert response.status_code == 422, code
        assert codes(response) == [code]
    empty = client.post(url, json={**document(), "content_base64": ""})
    assert empty.status_code == 422 and codes(empty) == ["required"]
    missing = client.post(url, json={"content_base64": b64(PDF)})
    assert missing.status_code == 422
    assert {r["params"]["field"] for r in missing.get_json()["reasons"]} == {"form_code", "filename", "content_type"}
    assert _count() == 0


def test_a_request_over_the_size_limit_is_a_json_413(app, api, web_org):
    case = _case(api, web_org)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api("cell_secretary").post(f"/api/v1/cases/{case['id']}/documents",
                                          json=document(content=b"%PDF-" + b"x" * 2048))
    assert response.status_code == 413 and response.is_json
    assert _count() == 0


def test_documents_outside_scope_look_missing(api, web_org):
    case = _case(api, web_org)
    doc = api("cell_secretary").post(f"/api/v1/cases/{case['id']}/documents", json=document()).get_json()
    outsider = api("other_secretary")
    assert outsider.get(f"/api/v1/cases/{case['id']}/documents/{doc['id']}").status_code == 404
    assert outsider.post(f"/api/v1/cases/{case['id']}/documents", json=document()).status_code == 404
    other = api("direct_union_officer").post("/api/v1/cases", json=referral(
        web_org, workplace_unit=web_org.direct_enterprise.id, referring_org=web_org.direct_union.id)).get_json()
    wrong_case = api("organizer").get(f"/api/v1/cases/{other['id']}/documents/{doc['id']}")
    assert wrong_case.status_code == 404
    assert _count() == 1


def test_a_name_with_a_line_break_is_cleaned_and_a_stored_one_still_downloads(api, web_org):
    case = _case(api, web_org)
    secretary = api("cell_secretary")
    created = secretary.post(f"/api/v1/cases/{case['id']}/documents",
                             json={**document("1-KNĐ"), "filename": "don\nxin.pdf"})
    assert created.status_code == 201 and created.get_json()["filename"] == "don xin.pdf"
    old = Document(case_id=case["id"], form_code="1-KNĐ", filename="đơn\r\nxin.pdf", content_type="application/pdf",
                   size=len(PDF), sha256="0" * 64, content=PDF)
    db.session.add(old)
    db.session.commit()
    download = secretary.get(f"/api/v1/cases/{case['id']}/documents/{old.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"don xin.pdf\"; filename*=UTF-8''%C4%91%C6%A1n%20xin.pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
