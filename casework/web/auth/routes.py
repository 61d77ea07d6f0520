"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_required, login_user, logout_user

from casework.auth import end_sessions, sign_in_attempt
from casework.extensions import db, login_manager
from casework.web.auth.forms import SignInForm
from casework.web.i18n import LANGUAGES
from casework.web.redirects import safe_next
from casework.web.templating import format_datetime

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.sign_in"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would help phishing."""
    return safe_next(target, url_for("inbox.index"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = _check_credentials(form)
        if user is not None:
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)  # the person's saved language applies from now on
            refresh_locale()
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if request.method == "POST" else 200
    return render_template("auth/sign_in.html", form=form), status


def _check_credentials(form: SignInForm):
    """The user, or None with a message that never says whether the username exists."""
    attempt = sign_in_attempt(form.username.data, form.password.data)
    if attempt.locked_until is not None:
        flash(_("Too many failed attempts. Try again after %(time)s.", time=format_datetime(attempt.locked_until)),
              "error")
    elif attempt.user is None:
        flash(_("The username or password is not correct."), "error")
    return attempt.user


@bp.post("/sign-out")
@login_required
def sign_out():
    """Ends this person's sessions and remember cookies everywhere, so a copied cookie is worthless."""
    end_sessions(db.session, current_user)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.post("/language")
def choose_language():
    """Remember the choice for this visit, and for a signed-in person in their account."""
    code = request.form.get("locale", "")
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
        refresh_locale()  # a locale already worked out for this context must not linger
    return redirect(_safe_next(request.form.get("next")))
