"""Demo data: a province's organisation and its people, then each workflow package's demo cases (in every
state, written through the engine: ``WorkflowPackage.demo``, e.g. workflows/admission/demo.py).

``load_demo(session, engine)`` is idempotent: units, accounts and members are found by their codes and
names before being created, and a package builds a case only when its subject is not yet known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from casework.demo.organisation import DEMO_PASSWORD, ROLE_ACCOUNTS, build_organisation
from casework.engine.packages import PACKAGES

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
    created = total = 0
    for name in engine.workflows:  # the packages of the workflows this engine runs, in name order
        package = PACKAGES.get(name)
        if package is not None and package.demo is not None:
            made, planned = package.demo(session, engine, org)
            created, total = created + made, total + planned
    return DemoSummary(units_created=org.created, cases_created=created, cases_total=total)


__all__ = ["DEMO_PASSWORD", "ROLE_ACCOUNTS", "DemoSummary", "load_demo"]
