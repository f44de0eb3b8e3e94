"""Chalice's local stand-in for API Gateway, taught one more rule of the real one: a greedy
path variable (``/open311/{proxy+}``) takes any path below its parent that no more specific
route matches, however many segments it has, and passes the rest as ``pathParameters.proxy``.

Chalice 1.34 registers such a route (API Gateway then routes it), but its local matcher only
compares paths segment by segment, so ``chalice.local`` and ``chalice.test.Client`` would
answer ``/open311/v2/tokens/1.xml`` with the gateway's 403 where API Gateway reaches the
handler. The local stack (infra/local_stack.py) and the API tests (tests/api/conftest.py) use
this matcher so all three agree."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from chalice.local import LambdaEventConverter, MatchResult, RouteMatcher


def _greedy_name(route: str) -> str | None:
    """``/open311/{proxy+}`` → ``proxy``; None for any other route."""
    last = route.rsplit("/", 1)[-1]
    if last.startswith("{") and last.endswith("+}"):
        return last[1:-2]
    return None


class GreedyRouteMatcher(RouteMatcher):
    """Chalice's matcher for the ordinary routes; greedy ones are tried after them, the
    longest parent first, as API Gateway prefers the more specific resource."""

    def __init__(self, route_urls: list[str]) -> None:
        super().__init__([r for r in route_urls if _greedy_name(r) is None])
        greedy = [(r.rsplit("/", 1)[0], r) for r in route_urls if _greedy_name(r) is not None]
        self._greedy = sorted(greedy, key=lambda pair: len(pair[0]), reverse=True)

    def match_route(self, url: str) -> MatchResult:
        try:
            return super().match_route(url)
        except ValueError:
            pass
        parsed = urlparse(url)
        path = parsed.path.rstrip("/")
        for parent, route in self._greedy:
            rest = path.removeprefix(parent + "/")
            if rest != path and rest:
                query = parse_qs(parsed.query, keep_blank_values=True)
                name = _greedy_name(route) or "proxy"
                return MatchResult(route, {name: rest}, query)
        raise ValueError(f"No matching route found for: {url}")


def route_greedily(gateway: Any, app: Any) -> None:
    """Make a ``chalice.local.LocalGateway`` match routes as API Gateway does."""
    gateway.event_converter = LambdaEventConverter(
        GreedyRouteMatcher(list(app.routes)), app.api.binary_types
    )
