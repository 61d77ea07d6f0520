"""Vietnamese names for demo people: family name, middle name and given name, drawn from a seeded
generator so the same demo is built every time."""

from __future__ import annotations

import random

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Phan", "Trịnh",
          "Đinh", "Lương", "Tạ", "Nghiêm", "Chu")
MIDDLE = {"male": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Công"),
          "female": ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Thùy", "Phương", "Hồng")}
GIVEN = {"male": ("Hùng", "Dũng", "Tuấn", "Nam", "Long", "Quân", "Hải", "Thắng", "Phong", "Khánh", "Trung",
                  "Hiếu", "Cường", "Sơn", "Tùng", "Huy", "Đạt", "Việt", "Toàn", "Nghĩa"),
         "female": ("Hương", "Lan", "Mai", "Hạnh", "Thảo", "Trang", "Linh", "Huyền", "Yến", "Nhung", "Phương",
                    "Hà", "Loan", "Vân", "Ngân", "Dung", "Thủy", "Hằng", "Oanh", "Quỳnh")}


class NameBook:
    """Hands out distinct full names; ``gender`` is ``male`` or ``female``."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.used: set[str] = set()

    def person(self, gender: str | None = None) -> tuple[str, str]:
        gender = gender or self.random.choice(("male", "female"))
        while True:
            name = " ".join((self.random.choice(FAMILY), self.random.choice(MIDDLE[gender]),
                             self.random.choice(GIVEN[gender])))
            if name not in self.used:
                self.used.add(name)
                return name, gender
