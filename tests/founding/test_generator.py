"""`casework generate`'s founding cases (workflows/founding/simulation.py): a share of the run planned with the
organisation, every open state held on the run's day, and the organisation as the decisions left it — the new
cell under the committee, the enterprise's party organisation, the members moved, the interim secretary's account
and the administrator's task — with the steps parsing as submitted ones, the tallies agreeing with the history and
the target counting each decision and each imported register row once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.engine import Engine
from casework.models import Base, Case, PartyMember, RoleAssignment, Task, Unit
from casework.monitoring import summaries
from casework.monitoring.scope import Scope
from casework.monitoring.synthetic import Shares, generate
from tests.conftest import truncate_all
from tests.monitoring.test_generated_steps_are_valid import unparsed_steps
from tests.monitoring.test_generator_runs import snapshot
from workflows.founding import monitoring as founding_monitoring
from workflows.founding import simulation
from workflows.founding.models import PartyOrgFounding

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def generated(db_engine, workflows):
    """400 cases of which 60 founding ones (the share raised for the test), shared by the module's tests."""
    engine = Engine(workflows)
    with pytest.MonkeyPatch.context() as patch, Session(db_engine, expire_on_commit=False) as session:
        patch.setattr(simulation, "OPENED_PER_YEAR", 1250)
        made = generate(session.connection(), cases=400, seed=4, today=TODAY, engine=engine)
        session.commit()
        yield session, engine, made
        session.rollback()
    truncate_all(db_engine)


def founding_cases(session) -> list[Case]:
    return list(session.scalars(sa.select(Case).where(Case.workflow == "founding").order_by(Case.id)))


def test_the_planned_share_of_the_run_and_every_state(generated):
    session, _, made = generated
    cases = founding_cases(session)
    assert len(cases) == round(400 * 1250 * 6 / 50_000) == 60
    assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 400
    states = Counter(c.state for c in cases)
    assert set(states) == {"identified", "engaging_owner", "gathering_members", "proposal", "authority_review",
                           "founded", "not_founded"}
    assert states["founded"] > states["not_founded"]
    reasons = {c.facts.get("reason") for c in cases if c.state == "not_founded"}
    assert reasons <= {"enterprise_closed", "owner_refused", "too_few_members"} and len(reasons) >= 2
    assert len({c.dates["decision_date"][:4] for c in cases if c.state == "founded"}) >= 4  # spread over years


def test_the_organisation_is_as_the_decisions_left_it(generated):
    session, _, _ = generated
    for case in founding_cases(session):
        enterprise = session.get(Unit, case.subject_id)
        assert enterprise.parent_id == case.owning_cell_id
        assert enterprise.industrial_zone == (session.get(Unit, case.owning_cell_id).kind == "grassroots_committee")
        if case.state != "founded":
            assert not enterprise.has_party_org and enterprise.assigned_cell.cell_type == "residential"
            for member in case.facts["members"]:
                assert session.get(PartyMember, member["member_id"]).cell_id == member["current_cell"]
            continue
        cell = session.get(Unit, case.facts["founded_cell_id"])
        assert (cell.kind, cell.cell_type, cell.parent_id) == ("cell", "workplace", case.facts["reports_to"])
        assert cell.name == case.facts["cell_name"] and cell.code == f"{enterprise.code}-CB"
        assert enterprise.has_party_org and enterprise.assigned_cell_id == cell.id
        moved = {m["member_id"] for m in case.facts["moved_members"]}
        assert moved == {m["member_id"] for m in case.facts["transferred_members"]}
        assert {m.id for m in session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == cell.id))} == moved
        official = [m for m in case.facts["transferred_members"] if m["status"] == "official"]
        assert len(official) >= 3 and case.facts["interim_secretary"] in {m["member_id"] for m in official}
        task = session.scalars(sa.select(Task).where(Task.case_id == case.id,
                                                     Task.kind == "assign_interim_secretary")).one()
        secretary = session.scalar(sa.select(RoleAssignment.id).where(RoleAssignment.unit_id == cell.id,
                                                                      RoleAssignment.role == "cell_secretary"))
        assert (task.status == "done") == (secretary is not None)


def test_the_steps_parse_and_the_tallies_agree(generated):
    session, engine, _ = generated
    cases = founding_cases(session)
    wrong, checked = unparsed_steps(session, engine, cases)
    assert not wrong and checked > 400
    assert summaries.check(session.connection()) == []


def test_the_target_counts_decisions_and_the_imported_register_once(generated):
    session, _, made = generated
    root = session.get(Unit, made["root_unit_id"])
    counted = founding_monitoring.foundings_by_unit(session, scope=Scope(root.id, root.path, root.name), year_from=2015,
                                                    year_to=2026)[root.id]
    decided = Counter(int(c.dates["decision_date"][:4]) for c in founding_cases(session) if c.state == "founded")
    imported = Counter(f.founded_on.year for f in session.scalars(sa.select(PartyOrgFounding)))
    assert imported and max(imported) < min(decided)  # the register holds the years before the system
    assert counted == decided + imported


def test_shares_spread_the_planned_cases_over_the_run():
    class Shared:
        pass

    class Planned:
        def planned(self, world):
            return 7

    shares = Shares([Shared(), Planned()], None, 100)
    slots = [shares.of(n)[1] for n in range(100)]
    assert sorted(s for s in slots if s is not None) == list(range(7))
    taken = [n for n, s in enumerate(slots) if s is not None]
    assert max(b - a for a, b in zip(taken, taken[1:], strict=False)) <= 15  # evenly, not bunched
    assert Shares([Shared(), Planned()], None, 5).total == 5  # never more than the run's cases


def test_several_processes_write_the_same_founding_cases(tmp_path, workflows, monkeypatch):
    """Each process plans the founding cases again with the organisation: the same rows as one process."""
    monkeypatch.setattr(simulation, "OPENED_PER_YEAR", 1250)
    results = []
    for workers in (1, 2):
        bind = sa.create_engine(f"sqlite:///{tmp_path / f'workers{workers}.sqlite'}", connect_args={"timeout": 60})
        Base.metadata.create_all(bind)
        generate(bind, cases=120, seed=3, today=TODAY, engine=Engine(workflows), batch_size=40, workers=workers)
        results.append(snapshot(bind))
        bind.dispose()
    assert results[0] == results[1]
    assert sum(1 for c in results[0]["cases"] if "founding" in c) == round(120 * 1250 * 6 / 50_000)
