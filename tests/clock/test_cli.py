"""`casework tick` runs the clock through the app's session and prints what it did."""

import json

from casework.clock.tick import TickReport


def test_tick_prints_what_it_did_as_json(app, web_org):
    result = app.test_cli_runner().invoke(args=["tick", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == TickReport().as_dict()


def test_tick_prints_a_line_by_default(app, web_org):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "escalations=0" in result.output
