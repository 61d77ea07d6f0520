"""The notifications' JSON bodies, for casework.notifications.routes and the API's OpenAPI document."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f

from casework.api.schemas import refusal
from casework.models import EmailMode

EMAIL_MODES = [m.value for m in EmailMode]


class EmailModeField(f.String):
    def __init__(self, **kwargs):
        super().__init__(metadata={"enum": EMAIL_MODES}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in EMAIL_MODES:
            allowed = ", ".join(EMAIL_MODES)
            raise refusal("bad_choice", f"{self.name}: phải là một trong: {allowed}",
                          f"{self.name}: must be one of: {allowed}", field=self.name, allowed=EMAIL_MODES)
        return value


class UnreadQuery(ma.Schema):
    unread = f.String(metadata={"description": '"1" or "true": only the unread notices'})


class EmailPreference(ma.Schema):
    email_mode = EmailModeField(required=True)


class NoticeText(ma.Schema):
    vi = f.String(required=True)
    en = f.String(required=True)


class Notice(ma.Schema):
    id = f.Integer(required=True)
    kind = f.String(required=True)
    case_id = f.Integer(required=True, allow_none=True)
    task_id = f.Integer(required=True, allow_none=True)
    text = f.Nested(NoticeText, required=True)
    created_at = f.String(required=True, metadata={"description": "ISO date and time"})
    read_at = f.String(required=True, allow_none=True, metadata={"description": "ISO date and time"})


class Notices(ma.Schema):
    unread_count = f.Integer(required=True)
    notifications = f.List(f.Nested(Notice), required=True)


class Marked(ma.Schema):
    marked = f.Integer(required=True, metadata={"description": "how many notices were marked read"})
