"""The admission workflow (kết nạp đảng viên): a referred worker's path to official party membership.

This folder holds the procedure: its definition versions (``v<N>.yaml``) and, as code, its guards, effects,
routing targets, how a case starts (``subject``), its printed forms (``printing``, ``templates/``) and its demo
cases (``demo``). Importing the package registers them with the engine.
"""

from pathlib import Path

from casework.engine.packages import WorkflowPackage, register
from workflows.admission import applicability, effects, fields, guards, routing  # noqa: F401  (registered by name on import)
from workflows.admission.printing import PRINTABLES
from workflows.admission.routing import task_people
from workflows.admission.subject import (
    CANDIDATE_FIELDS,
    IMPORT_EXAMPLE,
    NATIONAL_ID,
    default_referring_org,
    form_defaults,
    open_case,
    read_ahead,
    subject_json,
)


def _demo(session, engine, org) -> tuple[int, int]:
    from workflows.admission.demo import build_cases  # only the demo needs it

    return build_cases(session, engine, org)


def _bench():
    from workflows.admission.bench import bench_loop  # only `casework bench engine` needs it

    return bench_loop()


def _simulation():
    from workflows.admission.simulation import scenario  # only `casework generate` needs it

    return scenario()


PACKAGE = register(WorkflowPackage(name="admission", open_case=open_case, subject_fields=CANDIDATE_FIELDS,
                                   prefill=default_referring_org, demo=_demo, simulation=_simulation,
                                   templates=Path(__file__).parent / "templates",
                                   subject_template="admission/subject.html", printables=PRINTABLES,
                                   subject_json=subject_json, subject_name="candidate", bench=_bench,
                                   form_defaults=form_defaults, import_example=IMPORT_EXAMPLE,
                                   identifier=NATIONAL_ID, task_people=task_people, read_ahead=read_ahead))
