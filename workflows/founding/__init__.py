"""The founding workflow (thành lập tổ chức đảng trong doanh nghiệp): an enterprise's path from "no party
organisation" to a founded cell in the organisation tree, explained step by step in docs/founding/v1.md.

Its subject is the enterprise, a unit of the tree (``models``); ``subject`` opens a case for it under its founding
committee; ``guards``, ``effects``, ``routing`` and ``fields`` register what ``v1.yaml`` names; ``organisation``
is what the founding decision does to the tree, the register and admission's cases. Importing the package
registers them with the engine, with the procedure's thresholds and periods as rules (configurable).
"""

from pathlib import Path

from casework.engine.packages import WorkflowPackage, register
from casework.engine.rules import package_rules

# Charter art. 21 and the founding procedure's defaults: a threshold, a legal deadline and service levels (in
# working days) for the steps that have none, so that slow steps show.
package_rules(min_official_members_to_found=3, founding_decision_working_days=30, survey_working_days=20,
              owner_engagement_working_days=60, member_transfer_working_days=15, complete_gathering_working_days=10,
              founding_proposal_working_days=20, founding_appraisal_working_days=15)

from workflows.founding import committees, effects, fields, guards, models, routing  # noqa: E402, F401  (registered on import)
from workflows.founding.printing import PRINTABLES  # noqa: E402
from workflows.founding.subject import form_defaults, open_case, subject_json  # noqa: E402


def _demo(session, engine, org) -> tuple[int, int]:
    from workflows.founding.demo import build_cases  # only the demo needs it

    return build_cases(session, engine, org)


def _simulation():
    from workflows.founding.simulation import scenario  # only `casework generate` needs it

    return scenario()


PACKAGE = register(WorkflowPackage(name="founding", open_case=open_case, demo=_demo, simulation=_simulation,
                                   templates=Path(__file__).parent / "templates",
                                   subject_template="founding/subject.html", printables=PRINTABLES,
                                   subject_json=subject_json, subject_name="enterprise", form_defaults=form_defaults))
