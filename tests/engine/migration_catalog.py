"""A workflows folder for the migration tests: the project's admission v1 and a v2 derived from it, with a
migration plan between them.

Version 2 differs from version 1 in ways a plan has to say something about:

- ``verification`` is renamed ``background_check`` (same tasks, same steps);
- ``in_course`` is gone: enrolling leads straight to the dossier and records the certificate there;
- the course's name is recorded as ``course_name`` instead of ``course``;
- ``decision_received_date`` is a new key date (the ceremony may record it), which version 1 never had.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from tests.engine.versions import V1, V2_FROM, original, transition, write

PLAN = {
    "from": 1,
    "to": 2,
    "states": {"verification": "background_check"},
    "fields": {"course": "course_name"},
    "defaults": {"decision_received_date": {"from": "decision_date",
                                            "required_in": ["admitted", "probation", "recognition_review"]}},
    "tasks": {"default": "keep", "dossier": "cancel_and_recreate"},
}


def _rename_state(raw: dict, old: str, new: str) -> None:
    raw["states"] = {(new if k == old else k): v for k, v in raw["states"].items()}
    for t in raw["transitions"]:
        for key in ("from", "to"):
            value = t.get(key)
            if value == old:
                t[key] = new
            elif isinstance(value, list):
                t[key] = [(new if v == old else ({**v, "state": new} if isinstance(v, dict) and v.get("state") == old
                                                  else v)) for v in value]


def version_2() -> dict:
    raw = original()
    raw["version"], raw["effective_from"] = 2, V2_FROM  # cases the tests open start on version 1
    _rename_state(raw, "verification", "background_check")
    # in_course is gone: enrolling leads to the dossier and records the certificate
    del raw["states"]["in_course"]
    passing = copy.deepcopy(transition(raw, "pass_course"))
    raw["transitions"] = [t for t in raw["transitions"] if t["trigger"] not in ("pass_course", "fail_course")]
    enrol = transition(raw, "enrol_course")
    enrol["to"] = "dossier"
    enrol["fields"] = [({**f, "name": "course_name"} if f["name"] == "course" else f) for f in enrol["fields"]]
    enrol["fields"] += passing["fields"]
    enrol["guards"] = passing.get("guards", [])
    raw["dates"]["decision_received_date"] = {"label": {"vi": "Ngày nhận quyết định", "en": "Decision received"}}
    ceremony = transition(raw, "hold_ceremony")
    ceremony["fields"].append({"name": "decision_received_date", "type": "date", "required": False,
                               "sets": "decision_received_date",
                               "label": {"vi": "Ngày nhận quyết định", "en": "Decision received"}})
    return raw


def catalog(root: Path, plan: dict | None = None) -> Path:
    """``root/admission/{v1,v2}.yaml`` and ``migrations/1-to-2.yaml``; returns ``root``."""
    folder = root / "admission"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(V1, folder / "v1.yaml")
    write(folder, "v2.yaml", version_2())
    write_plan(root, plan or PLAN)
    return root


def write_plan(root: Path, plan: dict | str, name: str = "1-to-2.yaml") -> Path:
    return write(root / "admission" / "migrations", name, plan if isinstance(plan, str) else
                 yaml.safe_load(yaml.safe_dump(plan)))
