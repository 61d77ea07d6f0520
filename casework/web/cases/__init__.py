"""The case page: candidate card, where the case stands, its history, documents and the steps offered."""
