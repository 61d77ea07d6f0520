"""Who is on it: claiming, releasing and assigning a task among the holders of its role, and acting for an
absent colleague for a period — each rule at its boundary, every refusal readable and writing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.engine import Conflict, Invalid, PermissionDenied
from casework.engine.claims import assign, claim, colleagues, release
from casework.engine.delegation import acting_roles, delegate, load_acting
from casework.engine.service import available_actions
from casework.models import Delegation, Task, TaskStatus
from tests.engine.support import assert_readable, assert_refused
from tests.factories import RoleFactory, UserFactory, use_session
from tests.walk import Walker


@pytest.fixture
def team(session, org):
    """A second cell secretary (a deputy), a colleague holding no role yet, and the commune's administrator."""
    use_session(session)
    deputy = UserFactory(username="deputy", full_name="Lê Văn Phó")
    RoleFactory(user=deputy, unit=org.cell, role="cell_secretary")
    stand_in = UserFactory(username="stand_in", full_name="Đỗ Thị Thay")
    admin = UserFactory(username="commune_admin")
    RoleFactory(user=admin, unit=org.commune, role="admin")
    session.commit()
    return {"secretary": org.users["cell_secretary"], "deputy": deputy, "stand_in": stand_in, "admin": admin}


def _step_task(case) -> Task:
    return next(t for t in case.tasks if t.status == TaskStatus.OPEN and t.kind == "step")


def _accept(walker: Walker, user):
    walker.case = walker.engine and __import__("casework.engine.service", fromlist=["apply"]).apply(
        session=walker.session, engine=walker.engine, case=walker.case, trigger="accept_referral", user=user,
        data={"helper_ids": [walker.cell_members()[0].id], "resolution_date": walker.today.isoformat()},
        expected_version=walker.case.version)
    return walker.case


def _refusal(session, fn, code: str, error=PermissionDenied):
    with pytest.raises(error) as info:
        fn()
    assert code in [r.code for r in info.value.reasons], info.value.reasons
    assert_readable(info.value.reasons)
    session.rollback()
    return info.value


# --- claim -----------------------------------------------------------------------------------------------


def test_a_claimed_task_is_completed_only_by_its_claimant(session, engine, org, team):
    walker = Walker(session, engine, org)
    task = _step_task(walker.case)
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    assert task.claimed_by_id == team["deputy"].id and task.claimed_at is not None
    refused = assert_refused(session, walker.case.id, lambda: _accept(walker, team["secretary"]),
                             "task_claimed_by_other", PermissionDenied)
    assert "Lê Văn Phó" in refused.reasons[0].vi and "Lê Văn Phó" in refused.reasons[0].en
    case = _accept(walker, team["deputy"])
    assert case.state == "sympathiser"
    assert session.get(Task, task.id).completed_by_id == team["deputy"].id


def test_the_page_says_who_is_on_it_instead_of_offering_the_step(session, engine, org, team):
    walker = Walker(session, engine, org)
    claim(session=session, engine=engine, task=_step_task(walker.case), user=team["deputy"])
    actions = {a.trigger: a for a in available_actions(session=session, engine=engine, case=walker.case,
                                                       user=team["secretary"])}
    assert not actions["accept_referral"].allowed
    assert [r.code for r in actions["accept_referral"].reasons] == ["task_claimed_by_other"]
    mine = {a.trigger: a for a in available_actions(session=session, engine=engine, case=walker.case,
                                                    user=team["deputy"])}
    assert mine["accept_referral"].allowed


def test_claim_by_someone_without_the_role_is_refused(session, engine, org, team):
    walker = Walker(session, engine, org)
    task = _step_task(walker.case)
    for outsider in (team["stand_in"], org.users["direct_secretary"]):  # no role; the role at another cell
        _refusal(session, lambda u=outsider: claim(session=session, engine=engine, task=task, user=u),
                 "claim_needs_role")
    assert session.get(Task, task.id).claimed_by_id is None


def test_a_task_someone_holds_cannot_be_claimed_by_a_colleague(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    claim(session=session, engine=engine, task=task, user=team["secretary"])
    _refusal(session, lambda: claim(session=session, engine=engine, task=task, user=team["deputy"]),
             "task_claimed_by_other", Conflict)
    claim(session=session, engine=engine, task=task, user=team["secretary"])  # again: nothing changes
    assert session.get(Task, task.id).claimed_by_id == team["secretary"].id


def test_a_closed_task_cannot_be_claimed(session, engine, org, team):
    walker = Walker(session, engine, org)
    task = _step_task(walker.case)
    _accept(walker, team["secretary"])
    _refusal(session, lambda: claim(session=session, engine=engine, task=task, user=team["deputy"]),
             "task_not_open", Invalid)


# --- release ---------------------------------------------------------------------------------------------


def test_release_by_someone_other_than_the_claimant_is_refused(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    _refusal(session, lambda: release(session=session, engine=engine, task=task, user=team["secretary"]),
             "release_not_claimant")
    assert session.get(Task, task.id).claimed_by_id == team["deputy"].id
    release(session=session, engine=engine, task=task, user=team["deputy"])
    assert session.get(Task, task.id).claimed_by_id is None
    _refusal(session, lambda: release(session=session, engine=engine, task=task, user=team["deputy"]),
             "task_not_claimed", Invalid)


def test_the_units_administrator_may_release_and_reassign(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    release(session=session, engine=engine, task=task, user=team["admin"])
    assert task.claimed_by_id is None
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    assign(session=session, engine=engine, task=task, user=team["admin"], assignee_id=team["secretary"].id)
    assert task.claimed_by_id == team["secretary"].id


def test_an_administrator_of_another_commune_is_no_overseer(session, engine, org, team):
    use_session(session)
    far_admin = UserFactory()
    RoleFactory(user=far_admin, unit=org.other_commune, role="admin")
    session.commit()
    task = _step_task(Walker(session, engine, org).case)
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    _refusal(session, lambda: release(session=session, engine=engine, task=task, user=far_admin),
             "release_not_claimant")


# --- assign ----------------------------------------------------------------------------------------------


def test_assign_to_a_colleague_holding_the_role(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    assert {u.username for u in colleagues(session, task)} == {"cell_secretary", "deputy"}
    assign(session=session, engine=engine, task=task, user=team["secretary"], assignee_id=team["deputy"].id)
    assert session.get(Task, task.id).claimed_by_id == team["deputy"].id


def test_assign_to_someone_without_the_role_is_refused(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    for outsider in (team["stand_in"], org.users["direct_secretary"]):
        _refusal(session, lambda u=outsider: assign(session=session, engine=engine, task=task,
                                                   user=team["secretary"], assignee_id=u.id),
                 "assignee_needs_role", Invalid)
    _refusal(session, lambda: assign(session=session, engine=engine, task=task, user=team["stand_in"],
                                     assignee_id=team["deputy"].id), "assign_needs_role")
    assert session.get(Task, task.id).claimed_by_id is None


def test_taking_a_colleagues_task_away_needs_an_overseer(session, engine, org, team):
    task = _step_task(Walker(session, engine, org).case)
    claim(session=session, engine=engine, task=task, user=team["deputy"])
    _refusal(session, lambda: assign(session=session, engine=engine, task=task, user=team["secretary"],
                                     assignee_id=team["secretary"].id), "task_claimed_by_other", Conflict)
    assign(session=session, engine=engine, task=task, user=team["deputy"], assignee_id=team["secretary"].id)
    assert task.claimed_by_id == team["secretary"].id


# --- delegation ------------------------------------------------------------------------------------------


def _delegate(session, engine, team, org, days: int = 4, start_offset: int = 0, **kw):
    first = engine.today() + timedelta(days=start_offset)
    return delegate(session=session, engine=engine, delegator=kw.get("delegator", team["secretary"]),
                    delegate_id=kw.get("to", team["stand_in"]).id, unit_id=kw.get("unit", org.cell).id,
                    starts_on=first, ends_on=first + timedelta(days=days))


def test_a_delegate_acts_on_the_last_day_and_the_history_names_both(session, engine, org, team, clock):
    delegation = _delegate(session, engine, team, org, days=4)
    clock.set_day(delegation.ends_on)
    walker = Walker(session, engine, org)
    case = _accept(walker, team["stand_in"])
    event = case.events[-1]
    assert event.actor_id == team["stand_in"].id and event.acting_for_id == team["secretary"].id
    assert (event.actor_role, event.actor_unit_id) == ("cell_secretary", org.cell.id)


def test_the_day_after_a_delegation_ends_the_delegate_is_refused(session, engine, org, team, clock):
    delegation = _delegate(session, engine, team, org, days=4)
    clock.set_day(delegation.ends_on + timedelta(days=1))
    walker = Walker(session, engine, org)
    load_acting(session, team["stand_in"], delegation.starts_on)  # a page that believed it in force: no matter
    assert_refused(session, walker.case.id, lambda: _accept(walker, team["stand_in"]), "wrong_role",
                   PermissionDenied)
    assert acting_roles(session, team["stand_in"], engine.today()) == ()


def test_before_a_delegation_starts_the_delegate_holds_nothing(session, engine, org, team, clock):
    delegation = _delegate(session, engine, team, org, days=2, start_offset=3)
    walker = Walker(session, engine, org)
    assert_refused(session, walker.case.id, lambda: _accept(walker, team["stand_in"]), "wrong_role",
                   PermissionDenied)
    clock.set_day(delegation.starts_on)
    assert [(a.role, a.unit_id) for a in acting_roles(session, team["stand_in"], engine.today())] == [
        ("cell_secretary", org.cell.id)]


def test_a_delegate_holds_the_delegators_roles_at_that_unit_only(session, engine, org, team):
    use_session(session)
    RoleFactory(user=team["secretary"], unit=org.direct_cell, role="cell_secretary")
    session.commit()
    _delegate(session, engine, team, org)
    walker = Walker(session, engine, org, referrer="direct_union_officer", workplace_unit=org.direct_enterprise.id,
                    referring_org=org.direct_union.id)
    assert_refused(session, walker.case.id, lambda: _accept(walker, team["stand_in"]), "wrong_role",
                   PermissionDenied)


def test_a_delegate_completes_the_task_their_delegator_claimed(session, engine, org, team):
    walker = Walker(session, engine, org)
    claim(session=session, engine=engine, task=_step_task(walker.case), user=team["secretary"])
    _delegate(session, engine, team, org)
    assert _accept(walker, team["stand_in"]).state == "sympathiser"


@pytest.mark.parametrize(("kwargs", "code", "error"), [
    ({"days": -1}, "delegation_ends_before_start", Invalid),
    ({"days": 0, "start_offset": -1}, "delegation_in_past", Invalid),
    ({"days": 366}, "delegation_too_long", Invalid),
    ({"unit": "direct_cell"}, "no_role_to_delegate", PermissionDenied),
    ({"to": "secretary"}, "delegate_is_self", Invalid),
])
def test_delegations_that_cannot_be(session, engine, org, team, kwargs, code, error):
    if "unit" in kwargs:
        kwargs["unit"] = getattr(org, kwargs["unit"])
    if "to" in kwargs:
        kwargs["to"] = team[kwargs["to"]]
    _refusal(session, lambda: _delegate(session, engine, team, org, **kwargs), code, error)
    assert session.scalar(sa.select(sa.func.count(Delegation.id))) == 0


def test_the_longest_and_todays_delegations_are_allowed(session, engine, org, team):
    _delegate(session, engine, team, org, days=365)
    _delegate(session, engine, team, org, days=0)
    assert session.scalar(sa.select(sa.func.count(Delegation.id))) == 2


def test_a_delegate_cannot_pass_on_what_they_were_lent(session, engine, org, team):
    _delegate(session, engine, team, org)
    load_acting(session, team["stand_in"], engine.today())
    _refusal(session, lambda: _delegate(session, engine, team, org, delegator=team["stand_in"], to=team["deputy"]),
             "no_role_to_delegate")
