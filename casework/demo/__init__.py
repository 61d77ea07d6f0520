"""Demo data: a province's organisation, its people and cases in every state, written through the engine.

``load_demo(session, engine)`` is idempotent: units, accounts and members are found by their codes and
names before being created, and a case is only built when its candidate's national ID is not yet known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from casework.demo.cases import build_cases
from casework.demo.organisation import DEMO_PASSWORD, ROLE_ACCOUNTS, build_organisation

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine


@dataclass
class DemoSummary:
    units_created: int
    cases_created: int
    cases_total: int


def load_demo(session: Session, engine: Engine) -> DemoSummary:
    """Load (or complete) the demo organisation and its cases."""
    org = build_organisation(session)
    created, total = build_cases(session, engine, org)
    return DemoSummary(units_created=org.created, cases_created=created, cases_total=total)


__all__ = ["DEMO_PASSWORD", "ROLE_ACCOUNTS", "DemoSummary", "load_demo"]
