"""Attaching a file to a case: the rules every face shares (API, pages).

The type is read from the content, never trusted from a name or a declared type, and the size limit is
the one setting ``MAX_DOCUMENT_BYTES``. Refusals carry a ``Reason`` in Vietnamese and English.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from casework.engine.reasons import Reason
from casework.models import Document
from casework.sizes import size_text

# Each accepted type with the bytes its files start with.
SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


class DocumentRefused(ValueError):
    """The file cannot be kept; ``reason`` says why."""

    def __init__(self, reason: Reason):
        super().__init__(reason.en)
        self.reason = reason


def sniff(content: bytes) -> str | None:
    """The accepted type the content really is, or None."""
    return next((kind for kind, magic in SIGNATURES.items() if content.startswith(magic)), None)


def _check(content: bytes, max_bytes: int, declared_type: str | None) -> str:
    """The file's type, or the refusal: declared type not accepted, empty or too large, content not a
    PDF/JPEG/PNG or not what was declared."""
    if declared_type is not None and declared_type not in SIGNATURES:
        raise DocumentRefused(Reason("file_type_not_allowed", "Chỉ nhận tệp PDF, JPEG hoặc PNG.",
                                     "Only PDF, JPEG or PNG files are accepted.", {"content_type": declared_type}))
    if not content:
        raise DocumentRefused(Reason("file_empty", "Tệp rỗng.", "The file is empty."))
    if len(content) > max_bytes:
        raise DocumentRefused(Reason("file_size", f"Tệp lớn hơn {size_text(max_bytes, 'vi')}.",
                                     f"The file is larger than {size_text(max_bytes, 'en')}.",
                                     {"max_bytes": max_bytes}))
    kind = sniff(content)
    if declared_type is not None and kind != declared_type:
        raise DocumentRefused(Reason("file_content_mismatch", "Nội dung tệp không đúng loại đã khai báo.",
                                     "The file's content does not match its declared type.",
                                     {"content_type": declared_type}))
    if kind is None:
        raise DocumentRefused(Reason("file_type_not_allowed", "Chỉ nhận tệp PDF, JPEG hoặc PNG.",
                                     "Only PDF, JPEG or PNG files are accepted."))
    return kind


# Control characters and line or paragraph separators part words (as a space); format, surrogate, private-use
# and unassigned characters are invisible and simply dropped.
_BREAKS = {"Cc", "Zl", "Zp"}
_UNSEEN = {"Cf", "Cs", "Co", "Cn"}


def clean_filename(filename: str | None) -> str:
    """The name a file is kept and offered under: its last path part, composed (NFC, as Vietnamese is typed),
    without line breaks, other control or invisible format characters (a right-to-left override could make
    ``gpj.pdf`` read as ``fdp.jpg``), runs of spaces folded, at most 255 characters; "document" when nothing
    is left. Applied on upload and again on download, for names stored before this rule."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_visible(ch) for ch in name)
    return re.sub(r"\s+", " ", name).strip()[:255].strip() or "document"


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    return " " if category in _BREAKS else "" if category in _UNSEEN else ch


def make_document(*, case_id: int, form_code: str, filename: str, content: bytes, max_bytes: int,
                  user_id: int | None, declared_type: str | None = None) -> Document:
    """A document ready to add to the session, or DocumentRefused; nothing is written here."""
    kind = _check(content, max_bytes, declared_type)
    return Document(case_id=case_id, form_code=form_code[:20], filename=clean_filename(filename),
                    content_type=kind, size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(), content=content, uploaded_by_id=user_id)
