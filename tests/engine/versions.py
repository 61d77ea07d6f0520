"""A workflows folder with two versions of admission side by side, for the tests of versioned definitions.

Version 2 is version 1 with a few known changes, in effect from ``V2_FROM``: the sympathiser state is renamed,
the cell secretary may return a referral (a new step from ``referred``), the reason for declining becomes
optional, and the course's start date is no longer asked for.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml

from config import PROJECT_ROOT

V1 = PROJECT_ROOT / "workflows" / "admission" / "v1.yaml"
V2_FROM = date(2026, 12, 1)

RETURN_REFERRAL = {
    "trigger": "return_referral",
    "label": {"vi": "Trả lại giới thiệu", "en": "Return the referral"},
    "from": "referred",
    "to": "declined",
    "actors": [{"role": "cell_secretary", "routing": "owning_cell"}],
    "fields": [{"name": "reason", "type": "text", "label": {"vi": "Lý do", "en": "Reason"}}],
}


def original() -> dict:
    return yaml.safe_load(V1.read_text(encoding="utf-8"))


def transition(raw: dict, trigger: str) -> dict:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


def version_2() -> dict:
    raw = original()
    raw["version"], raw["effective_from"] = 2, V2_FROM
    raw["states"]["sympathiser"]["label"] = {"vi": "Quần chúng cảm tình", "en": "Sympathiser (listed)"}
    raw["transitions"].insert(2, RETURN_REFERRAL)
    next(f for f in transition(raw, "decline_referral")["fields"] if f["name"] == "reason")["required"] = False
    course = transition(raw, "enrol_course")
    course["fields"] = [f for f in course["fields"] if f["name"] != "course_start"]
    return raw


def write(folder: Path, name: str, raw: dict | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def two_versions(root: Path) -> Path:
    """``root/admission/v1.yaml`` (the project's) and ``v2.yaml``; returns ``root``, the workflows folder."""
    folder = root / "admission"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(V1, folder / "v1.yaml")
    write(folder, "v2.yaml", version_2())
    return root
