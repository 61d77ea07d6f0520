"""A printed form's page as a PDF, rendered by WeasyPrint (Pango shapes the Vietnamese marks). Its style sheet
is read from the static folder and its fonts from the system's font files; nothing else is fetched, so nothing
a form's text says can make the renderer reach anywhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STYLESHEET = "paper.css"
FONT_FILES = (".ttf", ".otf", ".ttc")


class _FontFilesOnly(URLFetcher):
    """The only URLs a form may need: the font files its ``@font-face`` rules find on this machine (local())."""

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file" or not unquote(parsed.path).lower().endswith(FONT_FILES):
            raise ValueError(f"a printed form fetches nothing but local font files: {url}")
        return super().fetch(url, headers)


def render_pdf(html: str, static_folder: str | Path) -> bytes:
    """The PDF of one form's page (``printing/_pdf.html``) with the forms' style sheet and its fonts."""
    fonts, fetcher = FontConfiguration(), _FontFilesOnly(allowed_protocols={"file"})
    stylesheet = CSS(filename=str(Path(static_folder) / STYLESHEET), font_config=fonts, url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet], font_config=fonts)
