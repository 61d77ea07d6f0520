"""The case page of a case moved to another workflow version: its history names the move (who, from which
version and state to which) and still shows what the steps of the old version recorded."""

from __future__ import annotations

import pytest

from casework.engine import Engine
from casework.engine.migration import find_plan, migrate
from casework.extensions import db
from tests.engine.migration_catalog import catalog
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import text


@pytest.fixture
def moved(app, tmp_path, clock, web_org, walker):
    root = catalog(tmp_path / "workflows")
    app.config["WORKFLOWS_DIR"] = str(root)
    engine = app.extensions["casework_engine"] = Engine.from_directory(root, clock=clock)
    use_session(db.session)
    admin = UserFactory(username="admin", full_name="Quản Trị Viên")
    RoleFactory(user=admin, unit=web_org.units["province"], role="admin")
    db.session.commit()
    case = walker().to("verification")
    migrate(session=db.session, engine=engine, plan=find_plan(engine, "admission", 1, 2), user=admin, dry_run=False)
    return case.id


def test_the_history_names_the_move_and_keeps_the_old_steps(page, moved):
    client = page("cell_secretary")
    response = client.get(f"/cases/{moved}")
    assert response.status_code == 200
    shown = text(response)
    assert "Chuyển sang phiên bản quy trình mới" in shown  # the move, labelled
    assert "Quản Trị Viên" in shown
    assert "phiên bản quy trình 1 → 2" in shown
    assert "Cử đi học lớp nhận thức" in shown  # enrol_course, a step of version 1
    assert "Lớp nhận thức K12" in shown  # what it recorded (course, renamed in version 2)


def test_the_history_reads_in_english_too(app, page, moved):
    client = page("cell_secretary")
    client.post("/language", data={"locale": "en"})
    shown = text(client.get(f"/cases/{moved}"))
    assert "Moved to another workflow version" in shown
    assert "workflow version 1 → 2" in shown and "Verification → Background check" not in shown


def test_a_notice_of_the_clock_shows_its_own_label(app, page, walker):
    """Events no version defines are worded by the label they carry: a reminder, like the move."""
    from casework.engine.clock import record_notice

    case = walker().case
    record_notice(session=db.session, engine=app.extensions["casework_engine"], case=case, kind="reminder", data={})
    db.session.commit()
    response = page("cell_secretary").get(f"/cases/{case.id}")
    assert response.status_code == 200 and "Nhắc hạn" in text(response)
