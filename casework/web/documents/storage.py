"""Checking and storing an uploaded file: the type is read from the content, not trusted from the name."""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _

from casework.models import Document

# Each accepted type with the bytes its files start with.
SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class Rejected(ValueError):
    """The file cannot be kept; the message says why, in the page language."""


def sniff(content: bytes) -> str | None:
    return next((kind for kind, magic in SIGNATURES.items() if content.startswith(magic)), None)


def make_document(*, case_id: int, form_code: str, filename: str, content: bytes, max_bytes: int,
                  user_id: int) -> Document:
    if not content:
        raise Rejected(_("The file is empty."))
    if len(content) > max_bytes:
        raise Rejected(_("The file is larger than %(mb)s MB.", mb=round(max_bytes / 1024 / 1024, 1)))
    kind = sniff(content)
    if kind is None:
        raise Rejected(_("Only PDF, JPEG or PNG files are accepted."))
    name = (filename or "document").replace("\\", "/").rsplit("/", 1)[-1][:255] or "document"
    return Document(case_id=case_id, form_code=form_code[:20], filename=name, content_type=kind, size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(), content=content, uploaded_by_id=user_id)
