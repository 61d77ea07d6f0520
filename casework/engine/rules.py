"""Thresholds, periods and authorities of the procedure, with the defaults of the domain document.

They are configuration, not literals: texts changed between 2021 and 2025 and may change again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# Rules a workflow package adds (name -> default), registered when it is imported (``package_rules``): the
# engine's own dataclass need not grow a field for every procedure's thresholds and periods.
PACKAGE_RULES: dict[str, int] = {}


def package_rules(**defaults: int) -> None:
    """Register a package's rules with their defaults; configuration overrides them like any other rule."""
    PACKAGE_RULES.update(defaults)


@dataclass(frozen=True)
class Rules:
    min_age: int = 18
    max_age: int = 60
    certificate_validity_months: int = 60
    introducer_min_months: int = 12
    introducers_required: int = 2
    vote_fraction: Fraction = Fraction(2, 3)
    min_cell_official_members: int = 3
    max_failed_recognition_votes: int = 3
    probation_months: int = 12
    # Legal deadlines, in working days.
    admission_decision_working_days: int = 60
    admission_decision_extension_working_days: int = 30
    ceremony_working_days: int = 30
    recognition_review_working_days: int = 30
    recognition_decision_working_days: int = 30
    recognition_decision_extension_working_days: int = 30
    # Service levels for steps with no legal deadline, so that bottlenecks show.
    referral_review_working_days: int = 20
    sympathiser_working_days: int = 120
    course_working_days: int = 60
    dossier_working_days: int = 40
    verification_reply_working_days: int = 20
    complete_verification_working_days: int = 10
    cell_review_working_days: int = 20
    grassroots_review_working_days: int = 20
    appraisal_working_days: int = 20
    removal_decision_working_days: int = 30
    # The clock (`casework tick`): reminders before a due date, and how long a task may stay overdue before
    # a copy climbs to the unit above.
    first_reminder_working_days: int = 5
    last_reminder_working_days: int = 1
    escalation_grace_working_days: int = 5
    # Version 2 of admission (Quy định 294-QĐ/TW, Hướng dẫn 06-HD/TW, 2025): age in months at the cell's
    # consideration, the party-member file after the ceremony, re-admission, youth-union introductions.
    min_age_months: int = 216
    max_age_months: int = 720
    member_file_working_days: int = 30
    readmission_min_months: int = 36
    readmission_after_conviction_months: int = 60
    youth_union_max_age: int = 30
    # Configured values of the packages' rules (``PACKAGE_RULES``), read as attributes like the fields above.
    extra: dict[str, int] = field(default_factory=dict, hash=False)

    def __getattr__(self, name: str) -> Any:
        if name in PACKAGE_RULES:
            return self.__dict__.get("extra", {}).get(name, PACKAGE_RULES[name])
        raise AttributeError(name)

    @classmethod
    def from_mapping(cls, overrides: dict[str, Any] | None) -> Rules:
        """Defaults overridden by configuration; an unknown name or a wrong type fails loudly."""
        overrides = dict(overrides or {})
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        extra: dict[str, int] = {}
        for name, raw in overrides.items():
            if name == "vote_fraction":
                values[name] = _fraction(raw)
            elif isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise ValueError(f"rule {name} must be a non-negative whole number, got {raw!r}")
            elif name in known:
                values[name] = raw
            else:
                extra[name] = raw  # a package's rule, known once the packages are imported: ``check_known``
        return cls(**values, extra=extra)

    def check_known(self) -> None:
        """Fail loudly on a configured rule neither the engine nor a loaded package knows (a misspelling)."""
        unknown = sorted(set(self.extra) - set(PACKAGE_RULES))
        if unknown:
            raise ValueError(f"unknown rule(s) in configuration: {', '.join(unknown)}")

    def has(self, name: str) -> bool:
        return name in PACKAGE_RULES or name in {f.name for f in dataclasses.fields(self) if f.name != "extra"}


def _fraction(raw: Any) -> Fraction:
    """A majority such as "2/3": above 0 and at most 1, or every vote (or none) would pass."""
    try:
        value = None if isinstance(raw, bool) else Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        value = None
    if value is None or not 0 < value <= 1:
        raise ValueError(f"rule vote_fraction must be a fraction above 0 and at most 1 such as \"2/3\", got {raw!r}")
    return value
