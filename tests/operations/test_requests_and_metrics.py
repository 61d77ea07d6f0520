"""Every answer carries a request id and leaves one JSON log line; /metrics counts requests, committed steps and
refusals by reason code, and the mail outbox, and is served only to allowed addresses or the token."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from casework.extensions import db
from casework.models import OutboxMail
from casework.operations.requests import JsonLines
from tests.walk import Walker, referral

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def figures(app, **environ) -> dict[tuple[str, tuple], float]:
    """Every sample /metrics gives, by name and sorted labels."""
    response = app.test_client().get("/metrics", environ_base=environ or LOOPBACK)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def sample(values: dict, name: str, **labels) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_request_id_is_made_or_taken_from_the_proxy_and_echoed(app):
    client = app.test_client()
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-42.a"}).headers["X-Request-ID"] == "proxy-42.a"
    for unfit in ("x" * 129, "two words", "<script>"):  # never echoed into a header or a log as sent
        echoed = client.get("/healthz", headers={"X-Request-ID": unfit}).headers["X-Request-ID"]
        assert echoed != unfit and len(echoed) == 32


def test_one_json_line_per_request_names_route_status_and_account(app, api, caplog):
    caller = api("cell_secretary")
    caplog.set_level(logging.INFO, logger="casework.requests")
    caller.get("/api/v1/tasks?limit=5&after=", headers={"X-Request-ID": "req-1"})
    caller.get("/no/such/page")
    records = [r for r in caplog.records if r.name == "casework.requests"]
    assert len(records) == 2
    first, second = (json.loads(JsonLines().format(r)) for r in records)
    assert first["request_id"] == "req-1" and first["route"] == "/api/v1/tasks" and first["path"] == "/api/v1/tasks"
    assert first["status"] == 422 and first["method"] == "GET" and first["duration_ms"] >= 0
    assert first["user_id"] is not None  # the API read the caller: the line says who
    assert second["route"] == "(no route)" and second["status"] == 404 and second["path"] == "/no/such/page"


def test_any_record_logged_during_a_request_carries_its_id_and_traceback(app):
    try:
        raise ValueError("a broken view")
    except ValueError:
        record = logging.LogRecord("casework", logging.ERROR, __file__, 1, "Exception on %s", ("/x",), sys.exc_info())
    with app.test_request_context("/x", headers={"X-Request-ID": "req-9"}):
        line = json.loads(JsonLines().format(record))
    assert line["request_id"] == "req-9" and line["level"] == "ERROR" and line["message"] == "Exception on /x"
    assert "ValueError: a broken view" in line["exception"] and line["time"].endswith("+00:00")


def test_requests_are_counted_by_route_not_by_path(app, web_org):
    before = figures(app)
    client = app.test_client()
    client.get("/healthz")
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    after = figures(app)
    assert sample(after, "casework_http_requests_total", method="GET", route="/healthz", status="200") == \
        sample(before, "casework_http_requests_total", method="GET", route="/healthz", status="200") + 1
    assert sample(after, "casework_http_requests_total", method="GET", route="(no route)", status="404") == \
        sample(before, "casework_http_requests_total", method="GET", route="(no route)", status="404") + 2
    assert sample(after, "casework_http_request_duration_seconds_count", method="GET", route="/healthz") >= 1


def test_steps_count_when_committed_and_refusals_by_reason_code(app, api, web_org):
    before = figures(app)
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    body = {"expected_version": case["version"], "helper_ids": [web_org.members["cell"][0].id],
            "resolution_date": case["opened_on"]}
    url = f"/api/v1/cases/{case['id']}/actions/accept_referral"
    assert api("cell_secretary").post(url, json=body).status_code == 200
    assert api("cell_secretary").post(url, json=body).status_code == 409  # the same version again: stale
    refused_start = api("residential_committee").post("/api/v1/cases", json=referral(web_org))  # not a referrer
    assert refused_start.status_code == 403
    after = figures(app)

    def moved(name: str, **labels) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("casework_steps_total", workflow="admission", trigger="refer") == 1
    assert moved("casework_steps_total", workflow="admission", trigger="accept_referral") == 1
    assert moved("casework_step_refusals_total", workflow="admission", code="stale_version") == 1
    for reason in refused_start.get_json()["reasons"]:
        assert moved("casework_step_refusals_total", workflow="admission", code=reason["code"]) == 1


def test_a_step_rolled_back_is_not_counted(app, api, web_org, monkeypatch):
    from casework.engine import service

    before = figures(app)

    def fail_at_commit():
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(db.session, "commit", fail_at_commit)
    with pytest.raises(RuntimeError):
        service.start_case(session=db.session, engine=app.extensions["casework_engine"],
                           user=web_org.users["union_officer"], data=referral(web_org), workflow="admission")
    db.session.rollback()
    monkeypatch.undo()
    assert sample(figures(app), "casework_steps_total", workflow="admission", trigger="refer") == \
        sample(before, "casework_steps_total", workflow="admission", trigger="refer")


def test_the_outbox_depth_counts_mail_still_to_send(app, web_org):
    from casework.models import utcnow

    user = web_org.users["cell_secretary"]
    for sent, given_up in ((None, None), (None, None), (utcnow(), None), (None, utcnow())):
        db.session.add(OutboxMail(user_id=user.id, to_address="a@example.org", subject="s", body="b",
                                  sent_at=sent, given_up_at=given_up))
    db.session.commit()
    assert sample(figures(app), "casework_mail_outbox_depth") == 2


def test_metrics_only_for_allowed_addresses_or_the_token(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # Through a proxy nobody configured, the proxy's loopback address lets nobody in.
    proxied = client.get("/metrics", environ_base=LOOPBACK, headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 200
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer scrape-token-012345678"}).status_code == 403


def test_allowed_networks_are_configuration(app_factory_config):
    from casework import create_app

    app = create_app({**app_factory_config, "METRICS_ALLOW": "10.0.0.0/8"})
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base=LOOPBACK).status_code == 403
    with pytest.raises(RuntimeError, match="CASEWORK_METRICS_ALLOW: '10.0.0.300'"):
        create_app({**app_factory_config, "METRICS_ALLOW": "10.0.0.300"})


def test_behind_a_trusted_proxy_the_client_address_decides(app_factory_config):
    from casework import create_app

    client = create_app({**app_factory_config, "TRUSTED_PROXY_HOPS": 1}).test_client()
    through_proxy = {"environ_base": LOOPBACK}
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, **through_proxy).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, **through_proxy).status_code == 200


@pytest.fixture
def app_factory_config(tmp_path):
    return {"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"}


def test_the_clock_leaves_its_latest_run_for_the_scrape(app, web_org, tmp_path, clock):
    app.config["CLOCK_STATUS_FILE"] = str(tmp_path / "clock" / "last-run.json")
    assert ("casework_tick_backlog_cases", ()) not in figures(app)  # no run yet: no figure either
    Walker(db.session, app.extensions["casework_engine"], web_org)  # a referral: the cell's task has a due date
    clock.advance(days=60)  # long overdue: the clock owes it an overdue mark
    result = app.test_cli_runner().invoke(args=["tick", "--json"])
    assert result.exit_code == 0, result.output
    after = figures(app)
    assert after[("casework_tick_backlog_cases", ())] == json.loads(result.output)["cases_due"] == 1
    assert after[("casework_tick_last_duration_seconds", ())] >= 0
    assert after[("casework_tick_last_finished_timestamp_seconds", ())] > 0
    (tmp_path / "clock" / "last-run.json").write_text("half a file")  # never: written whole; read defensively
    assert ("casework_tick_backlog_cases", ()) not in figures(app)
