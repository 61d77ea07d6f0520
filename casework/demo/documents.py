"""Small but real PDF files for the demo's dossiers (the forms 1-KNĐ, 2-KNĐ): one page of text.

The PDF's built-in Helvetica has no Vietnamese glyphs, so the page text is written without diacritics;
the document's title in the case (its form code and file name) keeps them.
"""

from __future__ import annotations

import unicodedata


def ascii_text(text: str) -> str:
    """Vietnamese without its diacritics (đ and Đ have no decomposition, so they are mapped by hand)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return stripped.encode("ascii", "ignore").decode()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_page(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines``, with a correct cross-reference table."""
    text = "\n".join(f"({_escape(ascii_text(line))}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 72 760 Td\n{text}\nET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
