"""Where a form may send a person back to (``next``): only a path on this site.

An open redirect would lend the site's name to a phishing link. A browser reads ``//host``, ``/\\host``
(backslashes count as slashes) and a path with a tab or line break in it (those are stripped) as another host,
so only a plain path with none of them is followed.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_same_site_path(target: str | None) -> bool:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    return target if is_same_site_path(target) else fallback
