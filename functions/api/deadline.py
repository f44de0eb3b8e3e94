"""Chalice HTTP middleware: every request's storage calls run under its deadline
(``functions/storage/deadline.py``), so the client hears 503 before API Gateway's 29 s."""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Request, Response

from functions.settings import settings
from functions.storage import deadline


def request_deadline(event: Request, get_response: Callable[[Request], Response]) -> Response:
    with deadline.bounded(settings().request_budget_seconds):
        return get_response(event)
