"""Print-ready admission forms (5-KNĐ, 6-KNĐ, 9-KNĐ) filled from the case and its history."""
