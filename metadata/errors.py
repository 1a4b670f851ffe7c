"""Domain errors raised below the routers; api/errors.py maps them to each dialect's body."""


class DomainError(Exception):
    """Base of the errors a service raises on purpose; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    """The request is well-formed JSON but its content cannot be accepted (400)."""


class Unauthorized(DomainError):
    """No valid credentials (401)."""


class Forbidden(DomainError):
    """Authenticated, but not allowed here (403)."""


class NotFound(DomainError):
    """The resource does not exist in this project (404)."""


class Conflict(DomainError):
    """A unique name or a state clash (409)."""


class Unavailable(DomainError):
    """A dependency (metadata database, Prefect) is down; try again later (503)."""


class TooManyRequests(DomainError):
    """A rate limit was hit; try again later (429)."""
