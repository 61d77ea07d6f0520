"""`casework generate`, `casework bench dashboard` and `casework monitoring check|rebuild`, end to end on a
database file of their own."""

from __future__ import annotations

import re

import sqlalchemy as sa
from click.testing import CliRunner

import config
from casework.cli import main

VIEWS = ["pipeline", "step durations", "overdue", "slow committees", "stuck cases", "targets", "unions", "forecast",
         "foundings", "founding durations", "whole dashboard"]


def test_a_generated_province_is_benchmarked_and_its_tallies_checked(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'province.sqlite'}"
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", url)
    runner = CliRunner()
    for args in (["init-db"], ["generate", "--cases", "150", "--seed", "3"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    assert "Generated 150 cases in 1 province(s), 25 communes" in result.output

    result = runner.invoke(main, ["bench", "dashboard", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    assert "150 cases" in result.output
    assert [m.group(1).strip() for m in re.finditer(r"^  (.+?)\s+[\d.]+ ms", result.output, re.M)] == VIEWS

    assert runner.invoke(main, ["monitoring", "check"]).output == "The tallies agree with the history.\n"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE admission_tallies SET n = n + 2 "
                             "WHERE id = (SELECT min(id) FROM admission_tallies)"))
    engine.dispose()
    result = runner.invoke(main, ["monitoring", "check"])
    assert result.exit_code == 1
    assert "1 tally row(s) disagree with the history" in result.output
    assert re.search(r"admission_tallies \(.+\): kept \d+, history \d+", result.output)

    assert runner.invoke(main, ["monitoring", "rebuild"]).exit_code == 0
    assert runner.invoke(main, ["monitoring", "check"]).exit_code == 0
