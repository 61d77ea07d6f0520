"""The demo: every state present, real histories, idempotent loading, working accounts, the command."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import casework.cli.demo as demo_cli
import config
from casework import create_app
from casework.cli import main
from casework.demo import DEMO_PASSWORD, ROLE_ACCOUNTS, load_demo
from casework.demo.clock import local_today
from casework.engine.projection import replay, snapshot
from casework.extensions import db
from casework.models import Case, Event, PartyMember, RoleAssignment, Task, TaskStatus, Unit, User
from tests.api.test_reference import STATES
from tests.conftest import DATABASE_URL, IS_POSTGRES
from workflows.admission.demo import PLANS
from workflows.founding.demo import PLANS as FOUNDING_PLANS


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Unit, User, RoleAssignment, PartyMember, Case, Event, Task)}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """A database of its own: a SQLite file, or a PostgreSQL database beside the test one (dropped after)."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
        return
    url = sa.engine.make_url(DATABASE_URL)
    name = f"{url.database}_demo"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def demo(demo_url):
    """The demo app, loaded once for the module through the real migrations and the engine."""
    app = create_app({"DEMO": True, "SECRET_KEY": "demo-tests", "SQLALCHEMY_DATABASE_URI": demo_url})
    with app.app_context():
        if not IS_POSTGRES:  # a scratch file: no need to wait for the disk on every commit
            sa.event.listen(db.engine, "connect", lambda conn, _rec: conn.execute("PRAGMA synchronous=OFF"))
        summary = demo_cli.prepare(app)
        yield app, summary
        db.session.remove()
        db.engine.dispose()


def test_every_state_and_recognition_stage_is_present(demo):
    app, summary = demo
    assert summary.cases_created == summary.cases_total == len(PLANS) + len(FOUNDING_PLANS)
    seen = Counter((c.state, c.stage) for c in db.session.scalars(sa.select(Case).where(Case.workflow == "admission")))
    assert {state for state, _ in seen} == STATES
    assert {stage for state, stage in seen if state == "recognition_review"} == {
        "cell_vote", "grassroots_vote", "authority_decision"}


def test_histories_are_real_and_spread_over_two_years(demo):
    today = local_today()
    cases = db.session.scalars(sa.select(Case)).all()
    for case in cases:
        assert replay(case.events) == snapshot(case), case.id
        moments = [e.occurred_at for e in case.events]
        assert moments == sorted(moments)
        if not case.is_open:
            assert [t for t in case.tasks if t.status == TaskStatus.OPEN] == []
    cases = [c for c in cases if c.workflow == "admission"]  # the founding demo's are tested in tests/founding
    opened = sorted(c.opened_on for c in cases)
    assert opened[0] >= today - timedelta(days=730) and opened[0] <= today - timedelta(days=540)
    assert max(e.occurred_at.date() for c in cases for e in c.events) <= today
    assert len({c.candidate.national_id for c in cases}) == len(cases)
    assert all(c.candidate.national_id.startswith("027") and len(c.candidate.national_id) == 12 for c in cases)
    names = [c.candidate.full_name for c in cases]
    assert len(set(names)) == len(names) and all(len(n.split()) == 3 for n in names)
    assert sum(any(ord(ch) > 127 for ch in n) for n in names) >= 0.9 * len(names)  # written with diacritics


def test_the_organisation_has_what_the_procedure_needs(demo):
    units = {u.code.removeprefix("BN-"): u for u in db.session.scalars(sa.select(Unit))}
    assert sum(u.kind == "commune_committee" and u.admits_members and u.organizing_department
               for u in units.values()) == 2
    assert {units["kinh_bac"].ownership, units["seojin"].ownership} == {"domestic_private", "foreign_invested"}
    no_party = units["phuong_nam"]
    assert not no_party.has_party_org and units[str(no_party.assigned_cell.code).removeprefix("BN-")].cell_type \
        == "residential"
    assert {u.kind for u in units.values()} >= {"trade_union", "youth_union", "women_union", "residential_area"}
    for cell in (u for u in units.values() if u.kind == "cell"):
        officials = db.session.scalar(sa.select(sa.func.count()).select_from(PartyMember).where(
            PartyMember.cell_id == cell.id, PartyMember.status == "official"))
        assert officials >= 3, cell.name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyMember).where(
        PartyMember.status == "probationary")) >= 3


def test_loading_again_adds_nothing(demo):
    app, _ = demo
    before = _counts()
    again = load_demo(db.session, app.extensions["casework_engine"])
    assert (again.units_created, again.cases_created) == (0, 0)
    assert _counts() == before


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, username
    return client, response.get_json()


def test_every_role_account_signs_in_with_the_demo_password(demo):
    app, _ = demo
    for username, _unit in ROLE_ACCOUNTS:
        client, me = _client(app, username)
        assert [r["role"] for r in me["roles"]] == [username]
        assert client.get("/api/v1/tasks").status_code == 200
    wrong = app.test_client().post("/api/v1/session", json={"username": "authority", "password": "demo1"})
    assert wrong.status_code == 401


def test_the_residential_committee_has_a_verification_waiting(demo):
    app, _ = demo
    client, _ = _client(app, "residential_committee")
    tasks = client.get("/api/v1/tasks").get_json()["tasks"]
    waiting = [t for t in tasks if t["kind"] == "confirm_background"]
    assert waiting and all(t["case_state"] == "verification" for t in waiting)
    case = client.get(f"/api/v1/cases/{waiting[0]['case_id']}").get_json()
    assert next(a for a in case["actions"] if a["trigger"] == "confirm_background")["allowed"] is True


def test_a_probation_has_ended_and_recognition_can_start(demo):
    app, _ = demo
    client, _ = _client(app, "cell_secretary")
    listed = client.get("/api/v1/cases?state=probation").get_json()["cases"]
    ripe = []
    for row in listed:
        case = client.get(f"/api/v1/cases/{row['id']}").get_json()
        if next(a for a in case["actions"] if a["trigger"] == "start_recognition")["allowed"]:
            ripe.append(case)
    assert ripe and ripe[0]["dates"]["probation_ends"] <= local_today().isoformat()


def test_one_demo_case_can_be_walked_on_by_the_role_accounts(demo):
    app, _ = demo
    client, _ = _client(app, "cell_secretary")
    referred = client.get("/api/v1/cases?state=referred").get_json()["cases"]
    assert referred, "the cell secretary has a referral to accept"
    case = client.get(f"/api/v1/cases/{referred[0]['id']}").get_json()
    helper = next(m for m in client.get(f"/api/v1/units/{case['owning_cell']['id']}/members").get_json()["members"]
                  if m["status"] == "official")
    moved = client.post(f"/api/v1/cases/{case['id']}/actions/accept_referral", json={
        "expected_version": case["version"], "helper_ids": [helper["id"]],
        "resolution_date": local_today().isoformat()})
    assert moved.status_code == 200 and moved.get_json()["state"] == "sympathiser"


def test_the_command_loads_prints_the_accounts_and_serves(demo, demo_url, monkeypatch, tmp_path):
    served = []
    monkeypatch.setattr(demo_cli, "run_simple", lambda host, port, app, **kw: served.append((host, port, app, kw)))
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", demo_url)
    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    monkeypatch.setattr(demo_cli, "demo_app", lambda _instance: _app_with_key_in(tmp_path))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    for username, _unit in ROLE_ACCOUNTS:
        assert f"  {username} " in result.output
    assert "password: demo" in result.output and "http://127.0.0.1:5000/" in result.output
    assert "0 added now" in result.output  # the module's demo is already loaded
    (host, port, app, options), = served
    assert (host, port, options["use_reloader"]) == ("127.0.0.1", 5000, False)
    assert app.config["DEMO"] is True
    key = app.config["SECRET_KEY"]
    assert key and (tmp_path / demo_cli.SECRET_FILE).read_text() == key
    CliRunner().invoke(main, ["demo", "--host", "0.0.0.0", "--port", "8080"])
    assert served[1][:2] == ("0.0.0.0", 8080) and served[1][2].config["SECRET_KEY"] == key


def _app_with_key_in(instance_path):
    app = create_app({"DEMO": True, "SECRET_KEY": demo_cli.demo_secret_key(str(instance_path))})
    return app
