"""Search across every case in one's scope."""
