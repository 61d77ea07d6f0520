"""A local SMTP sink (aiosmtpd) that records what it receives."""

from __future__ import annotations

import socket

import pytest

from casework.engine import hooks
from casework.notifications import inbox


@pytest.fixture(autouse=True)
def notices_of_this_test(engine):
    inbox.install(engine)
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


class Sink:
    """Collects messages: ``(envelope recipients, message bytes)``."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A running SMTP server on a free local port; ``sink.port`` and ``sink.received``."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()
