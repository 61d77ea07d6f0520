"""Readable reasons, in Vietnamese and English, for anything the engine refuses or flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


def format_date_vi(value: date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Reason:
    """Why something cannot happen (or was flagged). ``code`` is stable for programs; texts for people."""

    code: str
    vi: str
    en: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "vi": self.vi, "en": self.en, "params": _jsonable(self.params)}

    def text(self, locale: str = "vi") -> str:
        return self.en if locale.startswith("en") else self.vi


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}
