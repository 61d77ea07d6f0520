"""The upload form: a form code from the admission forms, and the file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

# The forms of Hướng dẫn 12-HD/BTCTW used in admission, and the course certificate.
FORM_CODES = tuple(SelectChoice(code, label) for code, label in (
    ("1-KNĐ", _l("1-KNĐ Application for membership")),
    ("2-KNĐ", _l("2-KNĐ Personal history")),
    ("3-KNĐ", _l("3-KNĐ Introducer's letter")),
    ("4-KNĐ", _l("4-KNĐ Union referral resolution")),
    ("4A-KNĐ", _l("4A-KNĐ Youth union referral resolution")),
    ("5-KNĐ", _l("5-KNĐ Summary of opinions")),
    ("6-KNĐ", _l("6-KNĐ Cell resolution")),
    ("8-KNĐ", _l("8-KNĐ Grassroots resolution")),
    ("9-KNĐ", _l("9-KNĐ Admission decision")),
    ("CN-NTVĐ", _l("CN-NTVĐ Course certificate")),
    ("10-KNĐ", _l("10-KNĐ Self-review in probation")),
    ("11-KNĐ", _l("11-KNĐ Helper's review")),
    ("12-KNĐ", _l("12-KNĐ Opinions of mass organisations")),
    ("khac", _l("Other document")),
))


class UploadForm(FlaskForm):
    form_code = SelectField(_l("Form"), choices=FORM_CODES,
                            validators=[InputRequired(message=_l("Choose the form this document is."))])
    file = FileField(_l("File (PDF, JPEG or PNG)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))],
                     render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
