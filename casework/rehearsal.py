"""The rehearsal clock: a demo or training database may live on another "today".

Training sessions and acceptance checks walk cases across Tết and twelve months of probation; they cannot
wait for the calendar. ``CASEWORK_TODAY`` sets the day the whole app lives on:

- a date, ``CASEWORK_TODAY=2027-02-01``: every moment falls on that Vietnamese calendar day (the time of day
  runs as the real one does, so a day's events keep their order); restart with another date to move on;
- an offset, ``CASEWORK_TODAY=+30d`` (or ``-7d``): real time moved by that many days, so days pass as usual.

It is honoured only when the app runs in demo or training mode (``casework demo``, or ``CASEWORK_MODE=demo``
/ ``training``). Production must never count deadlines from a made-up day, so anywhere else the app refuses
to start (a warning in a log could go unread while deadlines went wrong). The engine's clock is the one
source of "now" and "today" (steps, deadlines, ``casework tick``, pages, monitoring); this module only
chooses it. Every page shows a banner while the rehearsal clock runs, and every response carries the day in
the ``Casework-Rehearsal-Today`` header, so an API client can tell too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Flask, Response, current_app

from casework.localtime import LOCAL_TZ

MODES = ("production", "demo", "training")
REHEARSAL_MODES = frozenset({"demo", "training"})
HEADER = "Casework-Rehearsal-Today"
_OFFSET = re.compile(r"([+-])(\d{1,5})d")


class RehearsalClockRefused(RuntimeError):
    """Raised at start-up: a rehearsal day outside demo/training mode, or a setting that cannot be read."""


def _real_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RehearsalDay:
    """What ``CASEWORK_TODAY`` asks for: a fixed day, or real time moved by a number of days."""

    setting: str
    fixed: date | None = None
    offset_days: int = 0

    def clock(self, real: Callable[[], datetime] = _real_now) -> Callable[[], datetime]:
        """The engine's clock: aware UTC instants on the rehearsal day."""
        if self.fixed is not None:
            fixed = self.fixed

            def on_fixed_day() -> datetime:
                local = real().astimezone(LOCAL_TZ)
                return datetime.combine(fixed, local.timetz()).astimezone(UTC)

            return on_fixed_day
        shift = timedelta(days=self.offset_days)
        return lambda: real() + shift


def parse_today(raw: str | None) -> RehearsalDay | None:
    """``CASEWORK_TODAY`` read: None when unset; a date or a ``±Nd`` offset; anything else refused."""
    text = (raw or "").strip()
    if not text:
        return None
    offset = _OFFSET.fullmatch(text)
    if offset:
        days = int(offset.group(2))
        return RehearsalDay(text, offset_days=-days if offset.group(1) == "-" else days)
    try:
        return RehearsalDay(text, fixed=date.fromisoformat(text))
    except ValueError:
        raise RehearsalClockRefused(
            f"CASEWORK_TODAY={text!r} không đọc được: cần một ngày dạng 2027-02-01 hoặc số ngày lệch dạng +30d. / "
            f"CASEWORK_TODAY={text!r} cannot be read: give a date such as 2027-02-01 or an offset such as +30d."
        ) from None


def mode_of(config) -> str:
    """The app's mode: ``casework demo`` is demo whatever ``CASEWORK_MODE`` says; an unknown mode is refused."""
    if config.get("DEMO"):
        return "demo"
    mode = (config.get("CASEWORK_MODE") or "production").strip().lower()
    if mode not in MODES:
        raise RehearsalClockRefused(f"CASEWORK_MODE={mode!r} không hợp lệ (production, demo, training). / "
                                    f"CASEWORK_MODE={mode!r} is not one of {', '.join(MODES)}.")
    return mode


def rehearsal_day(config) -> RehearsalDay | None:
    """The rehearsal day the configuration asks for, refused outside demo and training mode."""
    day = parse_today(config.get("CASEWORK_TODAY"))
    mode = mode_of(config)
    if day is not None and mode not in REHEARSAL_MODES:
        raise RehearsalClockRefused(
            f"CASEWORK_TODAY={day.setting} chỉ dùng cho cơ sở dữ liệu trình diễn hoặc tập huấn; chế độ hiện tại là "
            f"{mode}. Bỏ CASEWORK_TODAY, hoặc đặt CASEWORK_MODE=training cho cơ sở dữ liệu tập huấn. / "
            f"CASEWORK_TODAY={day.setting} is for demo and training databases only, and this app runs in {mode} "
            f"mode: unset CASEWORK_TODAY, or set CASEWORK_MODE=training on a training database.")
    return day


def register(app: Flask) -> RehearsalDay | None:
    """Check the setting at start-up; when a rehearsal day is set, show it on every page and response.
    Returns it, for the engine's clock (``casework.register_engine``)."""
    day = rehearsal_day(app.config)
    app.extensions["casework_rehearsal"] = day
    if day is not None:
        app.context_processor(_banner)
        app.after_request(_header)
    return day


def _today() -> date:
    return current_app.extensions["casework_engine"].today()


def _banner() -> dict:
    """What templates/base.html shows: the day the app lives on and the setting that chose it."""
    return {"rehearsal": {"today": _today(), "setting": current_app.extensions["casework_rehearsal"].setting}}


def _header(response: Response) -> Response:
    response.headers[HEADER] = _today().isoformat()
    return response
