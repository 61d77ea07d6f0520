"""The data model. Import models from here."""

from sqlalchemy import event as _sa_event
from sqlalchemy.orm import Session as _Session

from casework.models.access_log import AccessFace, AccessKind, AccessLog, AccessLogIsAppendOnly
from casework.models.base import Base, utcnow
from casework.models.cases import Case, Document, Event, Task, TaskStatus, case_date
from casework.models.clock import ClockMark
from casework.models.generation import GenerationBatch, GenerationRun
from casework.models.login_throttle import LoginThrottle
from casework.models.monitoring import StateVisit, Target, WorkingDay
from casework.models.notifications import (
    EmailMode,
    MailStatus,
    Notification,
    NotificationPreference,
    OutboxMail,
)
from casework.models.org import (
    PARTY_UNIT_KINDS,
    ActingRole,
    ApiToken,
    CellType,
    Delegation,
    MemberStatus,
    Ownership,
    PartyMember,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
)
from casework.models.tallies import PipelineTally, ReferralTally, ReplyTally, StayTally


class HistoryIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an event."""


@_sa_event.listens_for(_Session, "before_flush")
def _refuse_history_rewrites(session, flush_context, instances):
    """The event history is the record of what happened; nothing may rewrite it."""
    for obj in session.dirty:
        if isinstance(obj, Event) and session.is_modified(obj):
            raise HistoryIsAppendOnly(f"event {obj.id} of case {obj.case_id} cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, Event):
            raise HistoryIsAppendOnly(f"event {obj.id} of case {obj.case_id} cannot be deleted")


__all__ = [
    "AccessFace",
    "AccessKind",
    "AccessLog",
    "AccessLogIsAppendOnly",
    "PARTY_UNIT_KINDS",
    "ActingRole",
    "ApiToken",
    "Delegation",
    "Base",
    "Case",
    "ClockMark",
    "GenerationBatch",
    "GenerationRun",
    "CellType",
    "Document",
    "EmailMode",
    "Event",
    "HistoryIsAppendOnly",
    "MailStatus",
    "LoginThrottle",
    "MemberStatus",
    "Notification",
    "NotificationPreference",
    "OutboxMail",
    "Ownership",
    "PartyMember",
    "Role",
    "StateVisit",
    "StayTally",
    "PipelineTally",
    "ReferralTally",
    "ReplyTally",
    "Target",
    "WorkingDay",
    "RoleAssignment",
    "Task",
    "TaskStatus",
    "Unit",
    "UnitKind",
    "User",
    "case_date",
    "utcnow",
]
