"""Names of roles and unit kinds in Vietnamese and English, for reasons and pages."""

ROLE_LABELS: dict[str, dict[str, str]] = {
    "union_officer": {"vi": "Cán bộ công đoàn", "en": "Trade union officer"},
    "youth_officer": {"vi": "Cán bộ Đoàn thanh niên", "en": "Youth union officer"},
    "women_officer": {"vi": "Cán bộ Hội phụ nữ", "en": "Women's union officer"},
    "cell_secretary": {"vi": "Bí thư chi bộ", "en": "Cell secretary"},
    "residential_committee": {"vi": "Cấp ủy nơi cư trú", "en": "Residential committee"},
    "grassroots_committee": {"vi": "Đảng ủy cơ sở", "en": "Grassroots committee"},
    "authority": {"vi": "Cấp ủy có thẩm quyền", "en": "Admitting authority"},
    "organizer": {"vi": "Ban tổ chức", "en": "Organizing department"},
    "admin": {"vi": "Quản trị", "en": "Administrator"},
}

UNIT_KIND_LABELS: dict[str, dict[str, str]] = {
    "province": {"vi": "Tỉnh ủy", "en": "Province"},
    "commune_committee": {"vi": "Đảng ủy xã/phường", "en": "Commune/ward committee"},
    "grassroots_committee": {"vi": "Đảng ủy cơ sở", "en": "Grassroots committee"},
    "cell": {"vi": "Chi bộ", "en": "Party cell"},
    "enterprise": {"vi": "Doanh nghiệp", "en": "Enterprise"},
    "residential_area": {"vi": "Khu dân cư", "en": "Residential area"},
    "trade_union": {"vi": "Công đoàn cơ sở", "en": "Trade union"},
    "youth_union": {"vi": "Đoàn thanh niên", "en": "Youth union"},
    "women_union": {"vi": "Hội phụ nữ", "en": "Women's union"},
}


def role_label(role: str, locale: str = "vi") -> str:
    return ROLE_LABELS.get(role, {}).get("en" if locale.startswith("en") else "vi", role)
