"""A printed form's page as a PDF, rendered by WeasyPrint (Pango shapes the Vietnamese marks). Its style sheet
is read from the static folder; nothing else is fetched, so a form's text can make the renderer reach nothing."""

from __future__ import annotations

from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

STYLESHEET = "paper.css"


def _fetch_nothing(url: str, *args, **kwargs):
    raise ValueError(f"printed forms fetch nothing: {url}")


def render_pdf(html: str, static_folder: str | Path) -> bytes:
    """The PDF of one form's page (``printing/_pdf.html``) with the forms' style sheet and its fonts."""
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(Path(static_folder) / STYLESHEET), font_config=fonts, url_fetcher=_fetch_nothing)
    return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf(stylesheets=[stylesheet], font_config=fonts)
