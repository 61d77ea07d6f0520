"""The rehearsal clock (CASEWORK_TODAY): read, refused outside demo and training, the app's one "today"
(deadlines, `casework tick`, pages), and shown on every page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from casework.engine.calendar import add_working_days
from casework.localtime import LOCAL_TZ, local_date
from casework.models import Base, Event
from casework.rehearsal import HEADER, RehearsalClockRefused, parse_today, rehearsal_day
from tests.conftest import DATABASE_URL, IS_POSTGRES, PG_CONNECT_ARGS, truncate_all
from tests.factories import build_org
from tests.walk import Walker

TET_EVE = date(2027, 2, 1)  # a Monday; Tết 2027 holidays run from Thursday 4 to Wednesday 10 February


def at(day: date, hour: int = 9):
    return lambda: datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


# --- Reading the setting ----------------------------------------------------------------------------


def test_a_date_fixes_the_day_and_lets_the_hour_run():
    clock = parse_today("2027-02-01").clock(real=at(date(2026, 11, 30), hour=23))
    moment = clock()
    assert local_date(moment) == TET_EVE and moment.astimezone(LOCAL_TZ).hour == 23


def test_an_offset_moves_real_time_by_whole_days_either_way():
    real = at(date(2026, 11, 30))
    assert local_date(parse_today("+30d").clock(real=real)()) == date(2026, 12, 30)
    assert local_date(parse_today("-1d").clock(real=real)()) == date(2026, 11, 29)
    assert local_date(parse_today("+0d").clock(real=real)()) == date(2026, 11, 30)


def test_unset_or_blank_means_the_real_clock():
    assert parse_today(None) is None and parse_today("  ") is None


@pytest.mark.parametrize("raw", ["2027-02-30", "01/02/2027", "30", "+30", "+30 days", "tomorrow", "+1e3d"])
def test_a_setting_that_cannot_be_read_is_refused_in_both_languages(raw):
    with pytest.raises(RehearsalClockRefused, match="cannot be read") as refused:
        parse_today(raw)
    assert "không đọc được" in str(refused.value)


def test_only_demo_and_training_mode_may_set_a_day():
    assert rehearsal_day({"CASEWORK_TODAY": "2027-02-01", "CASEWORK_MODE": "training"}).fixed == TET_EVE
    assert rehearsal_day({"CASEWORK_TODAY": "+3d", "CASEWORK_MODE": "Demo"}).offset_days == 3
    assert rehearsal_day({"CASEWORK_TODAY": "2027-02-01", "DEMO": True}).fixed == TET_EVE  # `casework demo`
    assert rehearsal_day({"CASEWORK_MODE": "production"}) is None
    for config in ({"CASEWORK_TODAY": "2027-02-01"}, {"CASEWORK_TODAY": "+30d", "CASEWORK_MODE": "production"}):
        with pytest.raises(RehearsalClockRefused, match="demo and training databases only") as refused:
            rehearsal_day(config)
        assert "tập huấn" in str(refused.value)


def test_an_unknown_mode_is_refused():
    with pytest.raises(RehearsalClockRefused, match="not one of production, demo, training"):
        rehearsal_day({"CASEWORK_MODE": "staging"})


# --- The app ------------------------------------------------------------------------------------------


@pytest.fixture
def make_app(db_engine, tmp_path):
    """``make_app(today, mode)`` builds the app on one database shared by every app of the test (restarting
    with another day is how a rehearsal moves on); tables are emptied afterwards."""
    from casework import create_app
    from casework.extensions import db

    url = DATABASE_URL if IS_POSTGRES else f"sqlite:///{tmp_path / 'rehearsal.sqlite'}"
    options = {"connect_args": PG_CONNECT_ARGS} if IS_POSTGRES else {"poolclass": StaticPool}
    made = []

    def build(today: str | None, mode: str = "training"):
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                          "CASEWORK_TODAY": today, "CASEWORK_MODE": mode})
        made.append(app)
        with app.app_context():
            if not IS_POSTGRES:
                Base.metadata.create_all(db.engine)
        return app

    yield build
    for app in made:
        with app.app_context():
            if IS_POSTGRES and app is made[0]:
                truncate_all(db.engine)
            db.session.remove()
            db.engine.dispose()


def test_production_refuses_to_start_on_a_rehearsal_day(make_app):
    with pytest.raises(RehearsalClockRefused, match="CASEWORK_TODAY=2027-02-01 is for demo and training"):
        make_app("2027-02-01", mode="production")


def test_the_engine_lives_on_the_rehearsal_day(make_app):
    assert make_app("2027-02-01").extensions["casework_engine"].today() == TET_EVE
    assert make_app(None, mode="production").extensions["casework_engine"].today() == datetime.now(LOCAL_TZ).date()


def tick(app) -> dict:
    import json

    result = app.test_cli_runner().invoke(args=["tick", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_deadlines_and_the_tick_cross_tet_2027_on_the_rehearsal_clock(make_app):
    from casework.extensions import db

    app = make_app("2027-02-01")
    with app.app_context():
        org = build_org(db.session)
        case = Walker(db.session, app.extensions["casework_engine"], org).case
        task = next(t for t in case.tasks if t.is_open and t.kind == "step")
        assert local_date(case.created_at) == TET_EVE and local_date(task.created_at) == TET_EVE
        # 20 working days (referral_review_working_days) skip the seven days of Tết: 8 March, not 1 March.
        assert task.due_date == add_working_days(TET_EVE, 20) == date(2027, 3, 8)
        task_id = task.id
        db.session.remove()
    assert tick(make_app("2027-03-08"))["overdue"] == 0  # the due day itself
    later = make_app("2027-03-09")
    assert tick(later)["overdue"] == 1
    with later.app_context():
        marks = db.session.scalars(sa.select(Event).where(Event.trigger == "task_overdue", Event.task_id == task_id))
        assert [local_date(e.occurred_at) for e in marks] == [date(2027, 3, 9)]  # dated on the rehearsal day


def test_every_page_shows_the_rehearsal_banner_in_the_chosen_language(make_app):
    client = make_app("2027-02-01").test_client()
    vietnamese = client.get("/sign-in")
    assert "Đồng hồ diễn tập: hôm nay ở đây là ngày 01/02/2027 (CASEWORK_TODAY=2027-02-01)" in vietnamese.text
    assert vietnamese.headers[HEADER] == "2027-02-01"
    client.post("/language", data={"locale": "en", "next": "/sign-in"})
    english = client.get("/sign-in")
    assert "Rehearsal clock: today is 01/02/2027 here (CASEWORK_TODAY=2027-02-01), not the real date" in english.text


def test_a_real_day_shows_no_banner(make_app):
    page = make_app(None, mode="training").test_client().get("/sign-in")
    assert page.status_code == 200 and "rehearsal-banner" not in page.text and HEADER not in page.headers
