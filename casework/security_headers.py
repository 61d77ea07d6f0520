"""Headers every response carries, set in one place.

The CSP is what the templates satisfy: scripts and styles only from ``/static`` (no inline ``<script>``,
``style=`` attributes or ``on…=`` handlers anywhere, so neither needs ``'unsafe-inline'``), no plugins, no
framing, forms posting only here. HSTS only when cookies are marked secure (``CASEWORK_SECURE_COOKIES=1``,
read as ``SESSION_COOKIE_SECURE``): a site served over plain HTTP must not promise HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = ("default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
                           "object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def register(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
