"""Settings a workflow package keeps per unit of the tree (which committee founds party organisations in an
enterprise …), registered by name when the package is imported, and shown and changed by administrators on the
unit's page (``casework.web.admin``): the page names no workflow, it lists what is registered here.

A setting holds one unit chosen among ``choices`` (or none: the package's default applies); ``save`` checks the
choice and answers a ``Reason`` when it is refused, so a bad choice is a message, never an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.reasons import Reason
    from casework.models import Unit


@dataclass(frozen=True)
class UnitSetting:
    name: str
    label: dict[str, str]  # {vi, en}
    help: dict[str, str]  # {vi, en}: what it changes, and what holds without it
    unit_kinds: frozenset[str]  # the kinds of unit it is set on
    # (session, the unit, the units the administrator manages) -> the units it may be set to, as (id, name).
    choices: Callable[[Session, Unit, list[Unit]], list[tuple[int, str]]]
    # (session, the unit) -> the unit it is set to here, or None.
    current: Callable[[Session, Unit], int | None]
    # (session, the unit) -> what applies without a setting here (a sentence for the page).
    default: Callable[[Session, Unit], str]
    # (session, the unit, the chosen unit's id or None to clear it) -> a refusal, or None once saved (uncommitted).
    save: Callable[[Session, Unit, int | None], Reason | None]


UNIT_SETTINGS: dict[str, UnitSetting] = {}


def unit_setting(setting: UnitSetting) -> UnitSetting:
    UNIT_SETTINGS[setting.name] = setting
    return setting


def settings_for(unit: Unit) -> list[UnitSetting]:
    return [s for s in UNIT_SETTINGS.values() if unit.kind in s.unit_kinds]
