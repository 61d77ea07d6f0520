"""Small helpers for API tests: taking a step, building a file to upload, reading reasons."""

from __future__ import annotations

import base64
from typing import Any

PDF = b"%PDF-1.4\n% test document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def document(form_code: str = "1-KNĐ", content: bytes = PDF, content_type: str = "application/pdf") -> dict:
    return {"form_code": form_code, "filename": f"{form_code}.pdf", "content_type": content_type,
            "content_base64": b64(content)}


def act(client, case: dict[str, Any], trigger: str, **fields):
    """POST one step on the version of the case the caller last saw."""
    body = {"expected_version": case["version"], **fields}
    return client.post(f"/api/v1/cases/{case['id']}/actions/{trigger}", json=body)


def codes(response) -> list[str]:
    return [r["code"] for r in response.get_json()["reasons"]]


def action(case: dict[str, Any], trigger: str) -> dict[str, Any]:
    return next(a for a in case["actions"] if a["trigger"] == trigger)
