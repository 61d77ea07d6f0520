"""`casework token create|list|revoke`: tokens that expire, are listed without their secret, and revoke."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from casework.extensions import db
from casework.localtime import as_utc
from casework.models import ApiToken


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["token", *args])


def _tasks(app, token: str) -> int:
    return app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code


def test_create_prints_a_token_that_expires_after_the_default_90_days(app, web_org, clock):
    result = _run(app, "create", "cell_secretary", "--label", "ci")
    assert result.exit_code == 0
    token = result.output.strip()
    row = db.session.scalar(sa.select(ApiToken))
    assert as_utc(row.expires_at) == clock.now + timedelta(days=90) and row.label == "ci"
    assert _tasks(app, token) == 200
    clock.advance(days=90)
    assert _tasks(app, token) == 401


def test_create_takes_a_number_of_days_and_refuses_nonsense(app, web_org, clock):
    token = _run(app, "create", "cell_secretary", "--expires-days", "7").output.strip()
    assert as_utc(db.session.scalar(sa.select(ApiToken.expires_at))) == clock.now + timedelta(days=7)
    assert _tasks(app, token) == 200
    for bad in (["--expires-days", "0"], ["--expires-days", "soon"], ["--label", "x" * 101]):
        result = _run(app, "create", "cell_secretary", *bad)
        assert result.exit_code != 0 and "Error" in result.output
    assert _run(app, "create", "ghost").exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_list_shows_every_column_but_never_the_secret(app, web_org, clock):
    secret = _run(app, "create", "cell_secretary", "--label", "máy chủ báo cáo").output.strip()
    _run(app, "create", "authority")
    _tasks(app, secret)
    listing = _run(app, "list").output
    assert secret not in listing
    assert listing.splitlines()[0].split("\t") == ["id", "user", "label", "created", "expires", "last used", "state"]
    first = listing.splitlines()[1].split("\t")
    assert first[:3] == ["1", "cell_secretary", "máy chủ báo cáo"] and first[-1] == "active" and first[5] != "-"
    only = _run(app, "list", "authority").output.splitlines()
    assert len(only) == 2 and only[1].split("\t")[1] == "authority"


def test_revoke_one_token_or_all_of_a_users(app, web_org):
    first = _run(app, "create", "cell_secretary").output.strip()
    second = _run(app, "create", "cell_secretary").output.strip()
    other = _run(app, "create", "authority").output.strip()
    assert _run(app, "revoke", "1").output.strip() == "1 token(s) revoked"
    assert _tasks(app, first) == 401 and _tasks(app, second) == 200
    assert "revoked" in _run(app, "list", "cell_secretary").output.splitlines()[1]
    assert _run(app, "revoke", "--user", "cell_secretary").output.strip() == "1 token(s) revoked"
    assert _tasks(app, second) == 401 and _tasks(app, other) == 200


def test_revoke_needs_exactly_one_existing_target(app, web_org):
    _run(app, "create", "cell_secretary")
    for args in ([], ["1", "--user", "cell_secretary"], ["99"], ["--user", "ghost"], ["99999999999"], ["x"]):
        result = _run(app, "revoke", *args)
        assert result.exit_code != 0 and "Error" in result.output, args
    assert not db.session.scalar(sa.select(ApiToken.revoked))
