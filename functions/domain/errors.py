"""Domain errors. Each carries a stable code and a message in Chinese and English; the HTTP
layer maps the class to a status code in one place (``functions.api.errors``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    message_en: str


@dataclass
class DomainError(Exception):
    message: str
    message_en: str
    code: str = "error"
    fields: list[FieldError] = field(default_factory=list)
    # A 409 that something else blocks: the cases standing in the way (e.g. a unit's open
    # cases, which are reassigned before it is disabled).
    cases: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


class InvalidRequest(DomainError):
    """The client sent something we cannot accept (400)."""


class NotFound(DomainError):
    """No such thing, or not visible to this caller (404)."""


class Conflict(DomainError):
    """The request does not fit the current state (409): illegal or stale transition."""


class Gone(DomainError):
    """The thing existed but is no longer usable (410)."""


class Unauthorized(DomainError):
    """No valid credential (401)."""


class Forbidden(DomainError):
    """A valid credential without the right (403)."""


class TooLarge(DomainError):
    """The request body is over the limit (413)."""


class UnsupportedMediaType(DomainError):
    """The body is not JSON (415)."""


@dataclass
class TooManyRequests(DomainError):
    """Over a rate limit (429); the client may retry after ``retry_after`` seconds."""

    retry_after: int = 60


class Unavailable(DomainError):
    """A dependency failed; the request did not complete and can be retried (503)."""


def invalid_fields(fields: list[FieldError]) -> InvalidRequest:
    """A 400 naming each offending field."""
    return InvalidRequest("请求内容有误", "The request is invalid", "validation_failed", fields)


def invalid_field(field_path: str, message: str, message_en: str) -> InvalidRequest:
    return invalid_fields([FieldError(field_path, message, message_en)])
