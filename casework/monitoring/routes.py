"""Monitoring pages for the organizing department: a thin face over the query layer.

Only a person holding the ``organizer`` role sees them (403 otherwise); a unit outside every subtree they
organise answers 404, as if it did not exist, like a case outside scope.
"""

from __future__ import annotations

import json
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from casework.access_log import record_export
from casework.extensions import db
from casework.ids import parse_id
from casework.models import Unit
from casework.monitoring import exports, headline, labels
from casework.monitoring import figures as registry
from casework.monitoring.figures import known
from casework.monitoring.ocel import ocel_log
from casework.monitoring.scope import Period, Scope, children
from casework.monitoring.targets import (
    ImportRefused,
    columns,
    import_targets,
    measure_names,
    measures,
    set_target,
    target_progress,
    whole_number,
)
from casework.spreadsheets import XLSX_MIMETYPE
from casework.web.downloads import attachment
from casework.web.i18n import pick

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")


def _today() -> date:
    from flask import current_app

    return current_app.extensions["casework_engine"].today()


def _organizer_scopes() -> list[Unit]:
    if not current_user.is_authenticated:
        abort(401)
    units = [r.unit for r in current_user.roles if r.role == "organizer"]
    if not units:
        abort(403)
    return units


def _scope() -> Scope:
    """The unit asked for (drill-down), if it lies in a subtree this person organises; else their own."""
    mine = _organizer_scopes()
    wanted = request.args.get("unit", type=parse_id)
    if wanted is None:
        return Scope.of(db.session, mine[0].id)
    unit = db.session.get(Unit, wanted)
    if unit is None or not any(unit.is_within(u) for u in mine):
        abort(404)
    return Scope.of(db.session, unit.id)


def organizer_scope() -> Scope:
    """The unit asked for (``unit``) in this person's organizer scope, else their own (401, 403, 404 as every
    monitoring page): for the monitoring pages of a workflow's package (``WorkflowFigures.pages``)."""
    return _scope()


def _period() -> Period:
    year = request.args.get("year", type=int) or _today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return Period.year(year)


# The dashboard's tabs after the overview: each shows the figures it names (computed only when it is open).
SECTIONS = {
    "pipeline": (_l("Pipeline"), ("pipeline",)),
    "overdue": (_l("Overdue work"), ("overdue", "stuck_cases")),
    "committees": (_l("Residential committees"), ("slow_committees",)),
    "durations": (_l("Time in each step"), ("step_durations",)),
}


@bp.get("/")
@login_required
def dashboard():
    """The overview: the few numbers that say whether the scope is on track, each a link to its cases."""
    scope, period = _scope(), _period()
    numbers = headline.headline(db.session, scope=scope, period=period, today=_today(), workflows=known())
    return render_template("monitoring/overview.html", numbers=numbers, more=_package_links(),
                           **_frame(scope, period, "overview"))


@bp.get("/<any(pipeline, overdue, committees, durations):section>")
@login_required
def section(section: str):
    """One tab of detail: its figures as charts and tables, with their downloads."""
    scope, period = _scope(), _period()
    report = exports.Report(db.session, scope, period, _today())
    figures = exports.dashboard_figures(report, SECTIONS[section][1])
    return render_template(f"monitoring/{section}.html", figures=figures,
                           tables=exports.dashboard_tables(report, figures), **_frame(scope, period, section))


@bp.get("/figures/<name>")
@login_required
def package_figure(name: str):
    """A figure a workflow's package adds (the forecast, the unions' table): its own tab."""
    scope, period = _scope(), _period()
    if name not in dict(_package_figures()):
        abort(404)
    report = exports.Report(db.session, scope, period, _today())
    figures = exports.dashboard_figures(report, [name])
    return render_template("monitoring/figure.html", name=name, figure=dict(_package_figures())[name],
                           tables=exports.dashboard_tables(report, figures), **_frame(scope, period, name))


@bp.get("/cases/<any(admissions, overdue, waiting, forecast):which>")
@login_required
def cases_behind(which: str):
    """The cases behind one of the overview's numbers, within the scope."""
    scope, period = _scope(), _period()
    rows, total = headline.cases_behind(db.session, which, scope=scope, period=period, today=_today(),
                                        workflows=known())
    return render_template("monitoring/cases.html", which=which, rows=rows, total=total,
                           limit=headline.LIST_LIMIT, **_frame(scope, period, "overview"))


def _package_links() -> list[tuple[str, object]]:
    """The overview's links to the monitoring pages of the app's workflows' packages: (endpoint, label)."""
    return [(endpoint, label) for package in registry.registered() for endpoint, label in package.links
            if endpoint in current_app.view_functions]


def _package_figures() -> list[tuple[str, registry.Figure]]:
    return [(name, figure) for package in registry.registered()
            for name, figure in sorted(package.figures.items(), key=lambda kv: kv[1].page_order)]


def _frame(scope: Scope, period: Period, current: str) -> dict:
    """What every monitoring page shows around its content: the tabs, the filters, the way back up."""
    state_labels = _state_labels()
    tabs = [("overview", _("Overview"), url_for(".dashboard", unit=scope.unit_id, year=period.start.year))]
    tabs += [(name, label, url_for(".section", section=name, unit=scope.unit_id, year=period.start.year))
             for name, (label, _names) in SECTIONS.items()]
    tabs += [(name, figure.link, url_for(".package_figure", name=name, unit=scope.unit_id, year=period.start.year))
             for name, figure in _package_figures()]
    tabs.append(("targets", _("Targets"), url_for(".targets", unit=scope.unit_id, year=period.start.year)))
    return {"scope": scope, "period": period, "current": current, "tabs": tabs, "state_labels": state_labels,
            "columns": labels.columns(), "values": labels.value_labels(state_labels),
            "breadcrumbs": _breadcrumbs(scope), "units": children(db.session, scope),
            "title_column": registry.title_column()}


def _state_labels() -> dict[str, str]:
    """Each state's name in the page language, as the workflow definitions give it: every version's states,
    since cases still on an older version are counted too (a later version's label wins)."""
    labels: dict[str, str] = {}
    for workflow in current_app.extensions["casework_engine"].definitions():
        labels.update({name: pick(state.label) for name, state in workflow.states.items()})
    return labels


def _breadcrumbs(scope: Scope) -> list[Unit]:
    """The way back up from a drilled-down unit to the organizer's own unit."""
    unit = db.session.get(Unit, scope.unit_id)
    top = next(u for u in _organizer_scopes() if unit.is_within(u))
    ids = unit.ancestor_ids
    return [db.session.get(Unit, i) for i in ids[ids.index(top.id):]]


@bp.get("/export/<name>.<fmt>")
@login_required
def export_table(name: str, fmt: str):
    scope, period = _scope(), _period()
    if name not in exports.FIGURES or fmt not in ("csv", "xlsx"):
        abort(404)
    report = exports.Report(db.session, scope, period, _today())
    tables = exports.dashboard_tables(report, exports.dashboard_figures(report, [name]))
    filename = f"{name}-{scope.unit_id}-{period.start.year}.{fmt}"
    record_export(db.session, current_user, name, scope)  # only the tables that name people
    if fmt == "csv":
        return _download(exports.table_csv(tables[name]), "text/csv; charset=utf-8", filename)
    return _download(exports.table_xlsx(name, tables[name]), XLSX_MIMETYPE, filename)


@bp.get("/events.<fmt>")
@login_required
def export_events(fmt: str):
    """The scope's event history, streamed (all years unless ``year`` is given)."""
    scope = _scope()
    period = _period() if request.args.get("year") else None
    if fmt == "xes":
        body, mimetype = exports.events_xes(db.session, scope=scope, period=period), "application/xml"
    elif fmt == "csv":
        body, mimetype = exports.events_csv(db.session, scope=scope, period=period), "text/csv; charset=utf-8"
    elif fmt == "jsonocel":  # the object-centric log of every workflow (OCEL 2.0 JSON)
        body = json.dumps(ocel_log(db.session, scope=scope, period=period), ensure_ascii=False)
        mimetype = "application/json"
    else:
        abort(404)
    record_export(db.session, current_user, "events", scope)
    return _download(stream_with_context(body), mimetype, f"events-{scope.unit_id}.{fmt}")


def _download(body, mimetype: str, filename: str) -> Response:
    return attachment(body, mimetype, filename)


@bp.route("/targets", methods=["GET", "POST"])
@login_required
def targets():
    scope, period = _scope(), _period()
    if request.method == "POST":
        _save_targets(scope)
        return redirect(url_for(".targets", unit=scope.unit_id, year=period.start.year))
    units = [u for u in db.session.query(Unit).filter(Unit.within(scope.path),
                                                     Unit.kind.in_(("province", "commune_committee",
                                                                    "grassroots_committee"))).order_by(Unit.path)]
    return render_template("monitoring/targets.html", target_units=units, measures=measures(), table_columns=columns(),
                           **_frame(scope, period, "targets"),
                           progress=target_progress(db.session, scope=scope, year=period.start.year,
                                                    today=_today()))


def _save_targets(scope: Scope) -> None:
    upload = request.files.get("table")
    try:
        if upload and upload.filename:
            count = import_targets(db.session, scope=scope, filename=upload.filename, content=upload.read())
            flash(_("%(n)d targets imported.", n=count), "success")
            return
        form = request.form
        set_target(db.session, scope=scope, unit_id=parse_id(form["unit_id"]) or 0,  # 0: no unit, refused
                   year_from=whole_number(form["year_from"]),
                   year_to=whole_number(form["year_to"]),
                   values={k: whole_number(form.get(k)) for k in measure_names()})
        flash(_("Target saved."), "success")
    except ImportRefused as refused:
        db.session.rollback()
        for line, message in refused.errors:
            flash(_("Line %(line)d: %(message)s", line=line, message=message), "error")
        flash(_("Nothing was imported."), "error")
    except (KeyError, ValueError, LookupError):
        db.session.rollback()
        flash(_("The target could not be saved: check the unit and the numbers."), "error")
