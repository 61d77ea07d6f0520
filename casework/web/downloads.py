"""Files the app hands out (documents, exports): one way to build the response.

The name is cleaned again (rows stored before names were cleaned at upload may hold a line break, which
cannot go into a header) and offered twice, as RFC 6266 asks: an ASCII ``filename`` for old clients and
``filename*`` in UTF-8 for the Vietnamese name. ``nosniff`` stops a browser from guessing another type from
the content (every response carries it too; a download must not depend on that).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from casework.documents import clean_filename

# Letters NFKD does not take apart into an ASCII letter and marks.
_ASCII_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def content_disposition(filename: str) -> str:
    name = clean_filename(filename)
    plain = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS)).encode("ascii", "ignore").decode()
    plain = plain.replace('"', "'").strip() or "document"
    if plain == name:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(body, mimetype: str, filename: str) -> Response:
    """An attachment response: the body (bytes, text or an iterator), its type, the name to save it as."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename),
                                                      "X-Content-Type-Options": "nosniff"})
