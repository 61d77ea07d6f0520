"""Which of admission's optional fields apply to a candidate (``applies_if:`` in the definitions): the consent
for admission past the age limit, the business-owner conditions, the youth union's introduction. The guards still
decide what is needed; these only keep a form from asking, and the history from recording, what does not apply."""

from __future__ import annotations

from datetime import date

from casework.engine.applicability import applies_when
from casework.engine.calendar import full_years
from casework.engine.rules import Rules
from casework.models import Case


@applies_when("at_age_limit")
def at_age_limit(case: Case, today: date, rules: Rules) -> bool:
    """The candidate has reached the age limit (60): only then is the standing committee's consent asked."""
    return full_years(case.candidate.birth_date, today) >= rules.max_age


@applies_when("business_owner")
def business_owner(case: Case, today: date, rules: Rules) -> bool:
    """The candidate owns a private business: only then are its conditions confirmed."""
    return bool(case.candidate.is_business_owner)


@applies_when("youth_union_age")
def youth_union_age(case: Case, today: date, rules: Rules) -> bool:
    """The candidate is within the youth union's age: only then does its introduction count."""
    return full_years(case.candidate.birth_date, today) <= rules.youth_union_max_age
