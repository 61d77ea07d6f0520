"""The object-centric event log (OCEL 2.0 JSON) of both workflows: valid against the format's schema, every
reference resolved, and the interleaving visible — an admission case owned by a residential cell, moved to the cell
a founding created in the candidate's enterprise."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from casework.models import Event
from casework.monitoring.ocel import ocel_log
from casework.monitoring.scope import Period, Scope
from tests.founding.support import FoundingWalker
from tests.walk import Walker

SCHEMA = json.loads((Path(__file__).parents[1] / "monitoring" / "ocel2_schema.json").read_text(encoding="utf-8"))


def _scope(unit) -> Scope:
    return Scope(unit.id, unit.path, unit.name)


@pytest.fixture
def interleaved(session, engine, forg):
    admission = Walker(session, engine, forg, referrer="sao_vang_union_officer", workplace_unit=forg.sao_vang.id,
                       referring_org=forg.sao_vang_union.id, national_id="001200000901")
    founding = FoundingWalker(session, engine, forg)
    founding.to("founded")
    return admission, founding


def test_the_log_is_valid_ocel_2(session, forg, interleaved):
    log = ocel_log(session, scope=_scope(forg.province))
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(log)))
    ids = {o["id"] for o in log["objects"]}
    assert len(ids) == len(log["objects"])
    declared = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in log["objectTypes"]}
    for obj in log["objects"]:
        assert obj["type"] in declared
        assert {a["name"] for a in obj["attributes"]} <= set(declared[obj["type"]])
        assert all(r["objectId"] in ids for r in obj["relationships"])
    event_types = {t["name"] for t in log["eventTypes"]}
    for event in log["events"]:
        assert event["type"] in event_types and all(r["objectId"] in ids for r in event["relationships"])
        assert datetime.fromisoformat(event["time"]).tzinfo is not None


def test_both_workflows_interleave_through_their_objects(session, forg, interleaved):
    admission, founding = interleaved
    log = ocel_log(session, scope=_scope(forg.province))
    by_id = {o["id"]: o for o in log["objects"]}
    assert {"case", "candidate", "enterprise", "cell"} <= {o["type"] for o in log["objects"]}
    enterprise = f"unit:{forg.sao_vang.id}"
    assert by_id[enterprise]["type"] == "enterprise"
    candidate = next(o for o in log["objects"] if o["type"] == "candidate")
    assert {"objectId": enterprise, "qualifier": "works at"} in candidate["relationships"]
    assert {"objectId": enterprise, "qualifier": "about"} in by_id[f"case:{founding.case.id}"]["relationships"]
    workflows = {a["value"] for e in log["events"] for a in e["attributes"] if a["name"] == "workflow"}
    assert workflows == {"admission", "founding"}
    transfer = next(e for e in log["events"] if e["type"] == "transfer_case")
    new_cell = f"unit:{founding.case.facts['founded_cell_id']}"
    assert {"objectId": f"case:{admission.case.id}", "qualifier": "case"} in transfer["relationships"]
    assert {"objectId": new_cell, "qualifier": "moved to (owning_cell)"} in transfer["relationships"]
    assert by_id[new_cell]["type"] == "cell"
    decided = next(e for e in log["events"] if e["type"] == "decide_founding")
    assert decided["time"] <= transfer["time"]


def test_a_process_mining_tool_reads_it(session, forg, interleaved, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "casework.jsonocel"
    path.write_text(json.dumps(ocel_log(session, scope=_scope(forg.province))), encoding="utf-8")
    ocel = pm4py.read_ocel2_json(str(path))
    assert len(ocel.events) == session.scalar(sa.select(sa.func.count(Event.id)))
    assert {"transfer_case", "decide_founding", "refer", "identify"} <= set(ocel.events["ocel:activity"])
    assert {"candidate", "enterprise", "cell", "case"} <= set(ocel.objects["ocel:type"])


def test_the_scope_and_the_period_limit_the_log(session, forg, interleaved):
    assert ocel_log(session, scope=_scope(forg.other_commune))["events"] == []
    assert ocel_log(session, scope=_scope(forg.province), period=Period.year(2025))["events"] == []
