"""`casework bench load` end to end: a small generated province in a database file of its own, served by gunicorn
with one process, two clients signed in as generated accounts, a second per endpoint; the printed table."""

from __future__ import annotations

import re

from click.testing import CliRunner

import config
from casework.cli import main
from casework.cli.bench_load import ENDPOINTS

ROW = re.compile(r"^  (?P<name>.+?)\s+(?P<requests>\d+)\s+(?P<rate>[\d.]+)\s+(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+"
                 r"(?P<p99>[\d.]+)\s+(?P<statements>[\d.]+)\s+(?P<errors>\d+)$", re.M)


def test_the_load_bench_prints_each_endpoints_figures_beside_the_bare_ones(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'province.sqlite'}"
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", url)
    runner = CliRunner()
    for args in (["init-db"], ["generate", "--cases", "60", "--batch-size", "30", "--workers", "1",
                               "--password", "bench-pw"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output

    refused = runner.invoke(main, ["bench", "load", "-n", "1", "-k", "1", "--seconds", "0.2", "--password", "nope"])
    assert refused.exit_code == 1 and "could not sign in" in refused.output

    result = runner.invoke(main, ["bench", "load", "-n", "1", "-k", "2", "--seconds", "1", "--password", "bench-pw"])
    assert result.exit_code == 0, result.output
    assert "sqlite: 60 cases; gunicorn 1 process(es) × 4 thread(s), 2 client(s), 1 s per endpoint" in result.output
    rows = {m["name"]: m for m in ROW.finditer(result.output)}
    assert list(rows) == [name for name, _, _ in ENDPOINTS]
    for name, row in rows.items():
        assert int(row["requests"]) > 0 and int(row["errors"]) == 0, name
        assert float(row["p50"]) <= float(row["p95"]) <= float(row["p99"]), name
    # /healthz runs only what every request runs (the application's own hooks); the empty page reads the signed-in
    # person and the navigation's counts; every page reads more than that.
    bare = float(rows["/healthz (no work)"]["statements"])
    frame = float(rows["signed-in empty page"]["statements"])
    assert bare < frame
    assert all(float(rows[name]["statements"]) > bare for name in list(rows)[1:])
    assert all(float(rows[name]["statements"]) > frame for name in ("inbox /", "case page", "dashboard /monitoring/"))
    for page in ("inbox /", "case page"):
        assert re.search(rf"{page}: [\d.]+× the throughput of /healthz, [\d.]+× the signed-in empty page's",
                         result.output)
