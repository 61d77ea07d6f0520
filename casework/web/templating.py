"""Template helpers: dates as people write them here (dd/mm/yyyy), vi/en labels, the navigation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casework.engine.fields import parse_iso_date
from casework.engine.labels import ROLE_LABELS, UNIT_KIND_LABELS
from casework.localtime import local_datetime
from casework.web.i18n import LANGUAGES, current_language, pick
from casework.web.numbers import file_size, number, percent
from casework.web.stepforms import choice_label


def format_date(value: Any) -> str:
    """dd/mm/yyyy for a date, a datetime (in Vietnamese time) or an ISO string; empty for nothing."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return local_datetime(value).strftime("%d/%m/%Y")
    parsed = value if isinstance(value, date) else parse_iso_date(value)
    return parsed.strftime("%d/%m/%Y") if parsed else str(value)


def format_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnamese time (SQLite hands back naive UTC timestamps)."""
    return local_datetime(value).strftime("%d/%m/%Y %H:%M") if value else ""




def role_name(role: str) -> str:
    return pick(ROLE_LABELS.get(role)) or role


def unit_kind_name(kind: str) -> str:
    return pick(UNIT_KIND_LABELS.get(kind)) or kind


# (endpoint, label, roles that see it; None = everyone signed in; "starters" = the roles that may start a case of a
# workflow other than the default one, whose referral pages have their own entry)
NAV = (
    ("inbox.index", _l("Inbox"), None),
    ("referrals.mine", _l("My referrals"),
     {"union_officer", "youth_officer", "women_officer", "cell_secretary"}),
    ("requests.index", _l("Verification"), {"residential_committee"}),
    ("search.index", _l("Search"), {"cell_secretary", "grassroots_committee", "authority", "organizer", "admin",
                                    "union_officer", "youth_officer", "women_officer"}),
    ("inbox.delegation_list", _l("Acting for me"), None),
    ("referrals.start_index", _l("Start a case"), "starters"),
    ("admin.units", _l("Administration"), {"admin"}),
)


def _starter_roles(app: Flask) -> set[str]:
    """The roles of the start step's actors of every workflow but the default one, in their latest versions."""
    engine = app.extensions["casework_engine"]
    return {actor.role for name, versions in engine.workflows.items() if name != app.config["DEFAULT_WORKFLOW"]
            for actor in versions[max(versions)].start_transition.actors}


def nav_links() -> list[dict[str, Any]]:
    """The menu for the signed-in person: only pages their roles use, only features that are installed."""
    from flask import current_app

    if not current_user.is_authenticated:
        return []
    held = {r.role for r in current_user.roles}
    links = []
    for endpoint, label, roles in NAV:
        if roles == "starters":
            roles = _starter_roles(current_app)
        if endpoint in current_app.view_functions and (roles is None or held & roles):
            links.append({"endpoint": endpoint, "url": url_for(endpoint), "label": label})
    return links


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(dmy=format_date, dmy_time=format_datetime, label=pick, role_name=role_name,
                                 file_size=file_size, unit_kind=unit_kind_name,
                                 number=number, percent=percent)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=current_language, nav_links=nav_links,
                                 choice_label=choice_label)
