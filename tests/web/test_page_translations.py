"""A page's messages come from its catalog looked up once (``casework.web.i18n.page_translations``): what a
template prints is exactly what Flask-Babel's own template functions print, in either language, escaping
included."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale

TEMPLATES = [
    '{{ _("Saved.") }}',
    '{{ gettext("Saved.") }}',
    '{{ _("%(name)s is now %(role)s.", name=who, role="<b>thư ký</b>") }}',  # the values escaped, not the message
    '{% trans %}Saved.{% endtrans %}',
    '{% trans name=who, role="admin" %}%(name)s is now %(role)s.{% endtrans %}',
    '{% trans count=n %}one case{% pluralize %}{{ count }} cases{% endtrans %}',
    '{{ ngettext("%(num)d case", "%(num)d cases", n) }}',
    '{{ pgettext("menu", "Saved.") }}',
    '{{ npgettext("menu", "%(num)d case", "%(num)d cases", n) }}',
    '{{ _("Not in the catalog: %(x)s", x=1) }}',
]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("n", [1, 3])
def test_a_page_prints_what_flask_babel_prints(app, language, source, n):
    with app.test_request_context(), force_locale(language):
        values = {"who": "Lê <Văn> A", "n": n}
        ours = render_template_string(source, **values)  # the context processors run: the page's catalog
        theirs = app.jinja_env.from_string(source).render(**values)  # no processors: Flask-Babel's functions
    assert ours == theirs
    assert "<Văn>" not in ours and "<b>" not in ours


def test_the_catalog_is_the_page_languages(app):
    with app.test_request_context():
        with force_locale("vi"):
            assert render_template_string('{{ _("Saved.") }}') == "Đã lưu."
        with force_locale("en"):
            assert render_template_string('{{ _("Saved.") }}') == "Saved."


def test_the_catalog_is_looked_up_once_a_page(app, monkeypatch):
    import flask_babel

    looked_up = []
    original = flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations",
                        lambda self: looked_up.append(1) or original(self))
    source = '{% for i in range(10) %}{{ _("Saved.") }}{% endfor %}'
    with app.test_request_context(), force_locale("vi"):
        assert render_template_string(source) == "Đã lưu." * 10
        ours = len(looked_up)
        app.jinja_env.from_string(source).render()
    assert ours == 1 and len(looked_up) - ours == 10
