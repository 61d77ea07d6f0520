"""The loop `casework bench engine` times for the admission workflow: a sympathiser enrolled in the awareness
course and failing it, back and forth (``enrol_course`` / ``fail_course``), so every step changes state, closes
the cell secretary's task and opens the next, as an ordinary step does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casework.engine.packages import BenchLoop

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _prepare(session: Session, engine: Any, org: Any, count: int) -> tuple[list[int], int]:
    """``count`` referred candidates of Kinh Bắc accepted as sympathisers; the cell secretary takes the steps."""
    from casework.engine.service import apply, start_case

    secretary, union = org.users["cell_secretary"], org.users["union_officer"]
    helper = org.officials("cell_kinh_bac")[0]
    ids = []
    for n in range(count):
        case = start_case(workflow="admission", session=session, engine=engine, user=union, data={
            "full_name": f"Người lao động {n + 1}", "birth_date": "1995-03-08", "gender": "female",
            "national_id": f"027195{n:06d}", "residence_unit": org.units["area_pho_moi"].id,
            "workplace_unit": org.units["kinh_bac"].id, "source": "trade_union",
            "referring_org": org.units["union_kinh_bac"].id, "referral_number": f"{n + 1}/NQ-CĐ",
            "referral_date": engine.today().isoformat()})
        apply(session=session, engine=engine, case=case, trigger="accept_referral", user=secretary,
              data={"helper_ids": [helper.id], "resolution_date": engine.today().isoformat()},
              expected_version=case.version)
        ids.append(case.id)
    return ids, secretary.id


def bench_loop() -> BenchLoop:
    return BenchLoop(prepare=_prepare,
                     steps={"sympathiser": ("enrol_course", "in_course"), "in_course": ("fail_course", "sympathiser")},
                     data={"enrol_course": {"course": "Lớp nhận thức về Đảng", "course_mode": "online"}},
                     role="cell_secretary")
