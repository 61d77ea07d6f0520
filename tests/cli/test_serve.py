"""`casework run` refuses to serve without a SECRET_KEY, except in the demo and the tests."""

import flask.cli
import pytest
from click.testing import CliRunner

import config
from casework import MissingSecretKey, check_serving_secret_key, create_app
from casework.cli import main


@pytest.fixture
def served(monkeypatch, tmp_path):
    """Stand-in for Werkzeug's server: records what would have been served instead of serving it."""
    calls = []
    monkeypatch.setattr(flask.cli, "run_simple", lambda host, port, app, **kw: calls.append((host, port, app)))
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'serve.sqlite'}")
    return calls


def test_run_refuses_without_a_secret_key(monkeypatch, served):
    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert "SECRET_KEY is not set" in result.output
    assert served == []


def test_run_serves_with_a_secret_key(monkeypatch, served):
    monkeypatch.setattr(config.Config, "SECRET_KEY", "a-real-secret")
    result = CliRunner().invoke(main, ["run", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert [(host, port) for host, port, _ in served] == [("127.0.0.1", 5099)]
    assert served[0][2].config["SECRET_KEY"] == "a-real-secret"


def test_maintenance_commands_need_no_secret_key(monkeypatch, served):
    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    result = CliRunner().invoke(main, ["workflow", "check"])
    assert result.exit_code == 0 and "ok  admission" in result.output


def test_the_factory_refuses_outside_demo_and_tests(monkeypatch, tmp_path):
    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(MissingSecretKey):
        create_app({"SQLALCHEMY_DATABASE_URI": url})
    demo = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO": True})
    check_serving_secret_key(demo)  # the demo makes its own key before serving
    lenient = create_app({"SQLALCHEMY_DATABASE_URI": url}, require_secret_key=False)
    with pytest.raises(MissingSecretKey):
        check_serving_secret_key(lenient)
