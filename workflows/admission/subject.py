"""How an admission case starts: the referred candidate (its subject, one row per person, kept across cases) and
the units the case is routed to — the cell assigned to the candidate's workplace, the committee above it and
the authority that admits members."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from casework.engine.errors import Invalid
from casework.engine.packages import SubjectIdentifier
from casework.engine.reasons import Reason
from casework.engine.routing import authority_of, grassroots_of
from casework.models import Case, Unit
from workflows.admission.models import WORKFLOW, Candidate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import WorkflowDef
    from casework.models import User

# Recorded by `refer` about the person, kept on the candidate rather than in the case's facts.
CANDIDATE_FIELDS = frozenset({"full_name", "birth_date", "gender", "national_id", "residence_unit", "workplace_unit",
                              "position", "is_business_owner"})
# The example row of the template for importing cases in progress (casework.engine.importing): a candidate whose
# cell is about to vote, with the dates so far; the unit codes are to be replaced by the organisation's own. A
# version without one of these columns leaves it out.
IMPORT_EXAMPLE = {"state": "cell_review", "owning_cell": "MA-CHI-BO", "full_name": "Nguyễn Văn An",
                  "birth_date": "15/04/1998", "gender": "male", "national_id": "001098012345",
                  "residence_unit": "MA-KHU-DAN-CU", "workplace_unit": "MA-DOANH-NGHIEP", "position": "Công nhân",
                  "is_business_owner": "không", "source": "trade_union", "referring_org": "MA-CONG-DOAN",
                  "referral_number": "12/NQ-CĐ", "referral_date": "02/03/2026", "certificate_date": "15/06/2026",
                  "verification_completed_on": "10/09/2026"}
_OFFICER_ROLE_FOR_SOURCE = {"trade_union": "union_officer", "youth_union": "youth_officer",
                            "women_union": "women_officer"}


def default_referring_org(user: User, data: dict[str, Any]) -> None:
    """An officer of exactly one organisation of the source's kind refers on its behalf by default."""
    source = data.get("source")
    role = _OFFICER_ROLE_FOR_SOURCE.get(source) if isinstance(source, str) else None  # the fields check it later
    if role and data.get("referring_org") in (None, ""):
        units = user.units_for(role)
        if len(units) == 1:
            data["referring_org"] = units[0]


_SOURCE_FOR_ROLE = {"union_officer": "trade_union", "youth_officer": "youth_union", "women_officer": "women_union",
                    "cell_secretary": "party_member"}


def form_defaults(session: Session, user: User) -> dict[str, Any]:
    """What the referral form can fill in from the person's own role: the source, their organisation and its
    enterprise (or, for a cell secretary, the enterprise assigned to their cell)."""
    hats = [r for r in user.roles if r.role in _SOURCE_FOR_ROLE]
    if len(hats) != 1:
        return {}
    hat = hats[0]
    values = {"source": _SOURCE_FOR_ROLE[hat.role]}
    if hat.role in _OFFICER_ROLE_FOR_SOURCE.values():
        values["referring_org"] = str(hat.unit_id)
        parent = session.get(Unit, hat.unit.parent_id) if hat.unit.parent_id else None
        if parent is not None and parent.kind == "enterprise":
            values["workplace_unit"] = str(parent.id)
    else:
        assigned = session.scalars(sa.select(Unit.id).where(Unit.assigned_cell_id == hat.unit_id)).all()
        if len(assigned) == 1:
            values["workplace_unit"] = str(assigned[0])
    return values


def subject_json(case: Case, restricted: bool) -> tuple[str, dict[str, Any]] | None:
    """The case JSON's ``candidate``: who to verify, for a residential committee (``restricted``); all the
    referral recorded about the person, for everyone else."""
    candidate = case.candidate
    if candidate is None:
        return None
    person: dict[str, Any] = {"full_name": candidate.full_name, "birth_date": candidate.birth_date.isoformat(),
                              "residence_unit_id": candidate.residence_unit_id}
    if not restricted:
        person.update({"gender": candidate.gender, "national_id": candidate.national_id,
                       "workplace_unit_id": candidate.workplace_unit_id, "position": candidate.position,
                       "is_business_owner": candidate.is_business_owner})
    return "candidate", person


def open_case(session: Session, wf: WorkflowDef, values: dict[str, Any], today: date, now: datetime) -> Case:
    """The new case (unsaved) for the referred person, owned by the cell assigned to their workplace."""
    workplace = session.get(Unit, values["workplace_unit"])
    if workplace.assigned_cell_id is None:
        raise Invalid("no owning cell", [Reason(
            "no_assigned_cell", f"{workplace.name} chưa được phân công chi bộ phụ trách.",
            f"{workplace.name} has no party cell assigned to it yet.", {"unit_id": workplace.id})])
    cell = session.get(Unit, workplace.assigned_cell_id)
    grassroots = grassroots_of(session, cell)
    authority = authority_of(session, cell)
    candidate = _candidate(session, values)
    return Case(workflow=wf.name, workflow_version=wf.version, candidate=candidate, state=wf.initial, stage=None,
                state_seq=1, source=values["source"], owning_cell_id=cell.id,
                grassroots_unit_id=grassroots.id if grassroots else None,
                authority_unit_id=authority.id if authority else None,
                referring_org_id=values.get("referring_org") if values["source"] != "party_member" else None,
                subject_key=values["national_id"], title=values["full_name"], opened_on=today, facts={}, dates={},
                created_at=now, updated_at=now, state_entered_at=now)


_READ_AHEAD = "admission_read_ahead"


class ReadAhead(NamedTuple):
    """What ``read_ahead`` read for many cases at once."""

    national_ids: frozenset[str]  # those read: the others are read case by case
    candidates: dict[str, Candidate]  # by national ID, those on record
    open_cases: dict[str, int]  # national ID -> the id of its open case, those that have one


@contextmanager
def read_ahead(session: Session, submissions: list[dict[str, Any]]) -> Iterator[None]:
    """The candidates and open cases of many referrals' national IDs (an import's rows), read in one query
    each per few hundred; within the context ``open_case`` and the ``no_other_open_case`` guard find them here."""
    ids = sorted({v["national_id"] for v in submissions if isinstance(v.get("national_id"), str)})
    candidates: dict[str, Candidate] = {}
    open_cases: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        candidates.update((c.national_id, c) for c in session.scalars(
            sa.select(Candidate).where(Candidate.national_id.in_(chunk))))
        open_cases.update(session.execute(sa.select(Case.subject_key, Case.id).where(
            Case.workflow == WORKFLOW, Case.subject_key.in_(chunk)).order_by(Case.id.desc())).all())
    session.info[_READ_AHEAD] = ReadAhead(frozenset(ids), candidates, open_cases)
    try:
        yield
    finally:
        session.info.pop(_READ_AHEAD, None)


def read_ahead_of(session: Session) -> ReadAhead | None:
    return session.info.get(_READ_AHEAD)


def _candidate(session: Session, values: dict[str, Any]) -> Candidate:
    """The person's row (found by national ID, else new) with the details this referral gives."""
    known = read_ahead_of(session)
    if known is not None and values["national_id"] in known.national_ids:
        candidate = known.candidates.get(values["national_id"])
    else:
        candidate = session.scalar(sa.select(Candidate).where(Candidate.national_id == values["national_id"]))
    if candidate is None:
        candidate = Candidate(national_id=values["national_id"])
    # Routing and guards read the candidate before anything is saved; no_autoflush keeps it unsaved.
    with session.no_autoflush:
        for name in ("full_name", "birth_date", "gender"):
            setattr(candidate, name, values[name])
        candidate.residence_unit_id = values["residence_unit"]
        candidate.workplace_unit_id = values["workplace_unit"]
        candidate.position = values.get("position", "")
        candidate.is_business_owner = values.get("is_business_owner", False)
    return candidate


def cases_of_national_id(text: str) -> sa.ColumnElement[bool]:
    """Search by national ID (số CCCD): admission cases whose candidate has exactly that number, open or closed
    (the case's own key is cleared when it closes; the candidate keeps the number)."""
    number = "".join(text.split())
    return sa.and_(Case.workflow == WORKFLOW,
                   Case.subject_id.in_(sa.select(Candidate.id).where(Candidate.national_id == number)))


NATIONAL_ID = SubjectIdentifier(label={"vi": "Số CCCD", "en": "National ID"}, cases=cases_of_national_id)
