"""How a party document's sheet is laid out, as the forms guidance lays it out: the header names the superior
party organisation over the issuing one ("ĐẢNG BỘ KCN QUẾ VÕ" over "CHI BỘ CÔNG TY HÒA PHÁT"), the number line
carries the document's kind and the issuer's abbreviation ("Số: 12-NQ/CB"), the place and date line reads
"Quế Võ, ngày 05 tháng 02 năm 2027", and every number is written the Vietnamese way ("1.234", "71,4 %")
whatever the page's language, because the forms are Vietnamese. The template filters of every printable."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import force_locale

from casework.localtime import local_datetime
from casework.models import Unit, UnitKind
from casework.web.numbers import number

# A committee's name begins with the word for it; the organisation it leads (đảng bộ) is named after the same
# place. "Tỉnh ủy Bắc Ninh" leads "Đảng bộ tỉnh Bắc Ninh".
_COMMITTEE_WORDS = (
    ("Đảng ủy ", "Đảng bộ ", "ĐU"),
    ("Tỉnh ủy ", "Đảng bộ tỉnh ", "TU"),
    ("Thành ủy ", "Đảng bộ thành phố ", "TU"),
    ("Huyện ủy ", "Đảng bộ huyện ", "HU"),
    ("Quận ủy ", "Đảng bộ quận ", "QU"),
    ("Thị ủy ", "Đảng bộ thị xã ", "TU"),
    # A unit named after the organisation itself ("Đảng bộ tỉnh Bắc Ninh") keeps its name.
    ("Đảng bộ tỉnh ", "Đảng bộ tỉnh ", "TU"),
    ("Đảng bộ thành phố ", "Đảng bộ thành phố ", "TU"),
    ("Đảng bộ ", "Đảng bộ ", "ĐU"),
)
# Words before a place's own name in a committee's name ("Đảng ủy phường Kinh Bắc" is in Kinh Bắc).
_PLACE_WORDS = ("thành phố ", "thị xã ", "thị trấn ", "phường ", "xã ", "huyện ", "quận ", "tỉnh ", "đặc khu ")
_PARTY_KINDS = (UnitKind.PROVINCE, UnitKind.COMMUNE_COMMITTEE, UnitKind.GRASSROOTS_COMMITTEE, UnitKind.CELL)


def _committee_word(name: str) -> tuple[str, str, str] | None:
    return next((w for w in _COMMITTEE_WORDS if name.casefold().startswith(w[0].casefold())), None)


def organisation_name(unit: Unit) -> str:
    """The party organisation a committee leads ("Đảng ủy KCN Quế Võ" → "Đảng bộ KCN Quế Võ"); a cell, or a
    name without a committee word, is named as it is."""
    word = _committee_word(unit.name)
    return word[1] + unit.name[len(word[0]):] if word else unit.name


def superior_of(unit: Unit | None) -> Unit | None:
    """The party organisation directly above the issuing one (a cell's grassroots or commune committee)."""
    parent = unit.parent if unit is not None else None
    while parent is not None and parent.kind not in _PARTY_KINDS:
        parent = parent.parent
    return parent


def superior_line(unit: Unit | None) -> str:
    """The header's first line: the superior organisation, in capitals; nothing above a province."""
    superior = superior_of(unit)
    return organisation_name(superior).upper() if superior is not None else ""


def issuer_line(unit: Unit | None) -> str:
    """The header's second line: the issuing unit as it is named ("Chi bộ Công ty Hòa Phát" is already a cell's
    whole name, so nothing is put before it)."""
    return unit.name.upper() if unit is not None else ""


def issuer_code(unit: Unit | None) -> str:
    """The abbreviation after the document kind in its number: CB for a cell, ĐU, HU, TU … for a committee."""
    if unit is None:
        return ""
    if unit.kind == UnitKind.CELL:
        return "CB"
    word = _committee_word(unit.name)
    return word[2] if word else "ĐU"


def document_number(value: Any, kind: str, unit: Unit | None) -> str:
    """The number line: a number typed whole ("45-NQ/ĐU") as it is; a bare one ("12") completed with the kind
    and the issuer ("12-NQ/CB"); none yet leaves the space the secretary writes it in by hand."""
    text = str(value or "").strip()
    if "/" in text:
        return f"Số: {text}"
    suffix = f"-{kind}/{issuer_code(unit)}"
    return f"Số: {text}{suffix}" if text else f"Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0{suffix}"


def document_reference(value: Any, kind: str, unit: Unit | None) -> str:
    """An earlier paper cited in a sentence ("Nghị quyết số 12-NQ/CB"): lower-case "số", and nothing when it
    was recorded without a number (the sentence then names it by its date alone)."""
    text = str(value or "").strip()
    return "số " + document_number(text, kind, unit).removeprefix("Số: ") if text else ""


def place_name(unit: Unit | None) -> str:
    """Where the document is issued: the place of the nearest commune or provincial committee over (or being)
    the issuer, its name less the committee and administrative words ("Đảng ủy phường Kinh Bắc" → "Kinh Bắc")."""
    while unit is not None and unit.kind not in (UnitKind.COMMUNE_COMMITTEE, UnitKind.PROVINCE):
        unit = unit.parent
    if unit is None:
        return ""
    word = _committee_word(unit.name)
    name = unit.name[len(word[0]):] if word else unit.name
    lowered = name.casefold()
    for place_word in _PLACE_WORDS:
        if lowered.startswith(place_word):
            return name[len(place_word):]
    return name


def long_date(value: Any) -> str:
    """"ngày 05 tháng 02 năm 2027": a day below 10 and the months 1 and 2 with a leading zero, as documents write
    them so nothing can be added in front; empty dots for a date not known."""
    if isinstance(value, datetime):
        value = local_datetime(value).date()
    elif isinstance(value, str) and value:
        value = date.fromisoformat(value)
    if not isinstance(value, date):
        return "ngày \u2026 tháng \u2026 năm \u2026"
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def vi_number(value: Any, digits: int | None = None) -> str:
    """A number on a form: Vietnamese grouping and decimal comma ("1.234", "71,4") through the pages' one
    number helper, in Vietnamese whatever the page's language."""
    with force_locale("vi"):
        return number(value, digits)


def share(part: Any, whole: Any) -> str:
    """A vote's share of those counted, to one decimal: 5 of 7 → "71,4 %" (a non-breaking space before the
    sign, so the figure and its sign stay on one line); nothing when there is no one to count."""
    try:
        part, whole = int(part), int(whole)
    except (TypeError, ValueError):
        return ""
    if whole <= 0:
        return ""
    return f"{vi_number(part * 100 / whole, 1)}\u00a0%"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(superior_line=superior_line, issuer_line=issuer_line, place_name=place_name,
                                 long_date=long_date, vi_number=vi_number, organisation_name=organisation_name)
    app.jinja_env.globals.update(document_number=document_number, document_reference=document_reference, share=share)
