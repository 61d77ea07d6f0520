"""What the engine raises when an action is refused. Each carries reasons a person can read."""

from __future__ import annotations

from casework.engine.reasons import Reason


class EngineError(Exception):
    """Base of every refusal; nothing has been written when one is raised."""

    status = 400

    def __init__(self, message: str, reasons: list[Reason] | None = None):
        super().__init__(message)
        self.message = message
        self.reasons = list(reasons or [])


class NotFound(EngineError):
    """The case does not exist, or is outside the caller's scope (which must look the same)."""

    status = 404


class PermissionDenied(EngineError):
    """The caller does not hold the role the step needs at the unit it is routed to."""

    status = 403


class Conflict(EngineError):
    """Someone else acted first: the version the caller saw is no longer current."""

    status = 409


class Invalid(EngineError):
    """A field or a guard failed."""

    status = 422


class DefinitionError(Exception):
    """A workflow definition is malformed: names the file, the element and what is wrong."""

    def __init__(self, file: str, element: str, problem: str):
        super().__init__(f"{file}: {element}: {problem}")
        self.file, self.element, self.problem = file, element, problem
