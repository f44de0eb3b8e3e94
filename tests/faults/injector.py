"""Fault injection for tests on moto, through botocore's own event hooks.

Every botocore client the platform uses (each PynamoDB model's connection, the SES v2 / SNS
clients of ``functions.notify.adapter``, the S3 client of the export store) gets one handler
on ``before-send`` that stands in for moto's stubber on that client: moto answers every
attempt that is not faulted, and a planned fault answers an HTTP attempt instead of moto,
*inside* botocore's retry loop, so the platform's own retry settings (PynamoDB
``max_retry_attempts=2``, the adapter's ``max_attempts: 2``) meet it as they would meet AWS:

- ``error``: a wire-format error answer (JSON 1.0 for DynamoDB, REST-JSON for SES v2, query
  XML for SNS, REST-XML for S3) with the given code and status: botocore parses it into the
  ``ClientError`` the code would meet (``ThrottlingException``, ``MessageRejected`` …) and
  retries it if the code is retryable;
- ``connection``: ``EndpointConnectionError`` / ``ConnectTimeoutError`` before the request
  reaches moto (nothing applied);
- ``lost``: the request reaches moto and is applied, then the client sees a
  ``ReadTimeoutError`` (the answer was lost on the way back).

A fault is planned per service and operation, for the next ``times`` attempts (each botocore
retry is an attempt) or always, and every attempt, faulted or not, is recorded.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

HANDLER_ID = "wenzheng-fault-injector"

# A botocore retry of each kind of failure, as configured in the platform: the attempts one
# call makes before the caller sees the error.
DYNAMODB_ATTEMPTS = 3  # PynamoDB max_retry_attempts=2 (standard mode)
PROVIDER_ATTEMPTS = 3  # adapter Config(retries={"max_attempts": 2}) (legacy mode)


class _Raw:
    """The raw body botocore reads from an ``AWSResponse``."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self._data.read()
        while chunk:
            yield chunk
            chunk = self._data.read()


def _error_response(service: str, url: str, code: str, status: int, message: str) -> AWSResponse:
    headers: dict[str, str] = {"x-amzn-requestid": "fault-injected"}
    if service == "dynamodb":
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
        ).encode()
        headers["Content-Type"] = "application/x-amz-json-1.0"
    elif service == "sesv2":
        body = json.dumps({"message": message}).encode()
        headers.update({"Content-Type": "application/json", "x-amzn-ErrorType": code})
    elif service == "sns":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>fault-injected</RequestId></ErrorResponse>"
        ).encode()
        headers["Content-Type"] = "text/xml"
    else:  # S3 and other REST-XML services
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        headers["Content-Type"] = "application/xml"
    return AWSResponse(url, status, headers, _Raw(body))


@dataclass
class Fault:
    """One planned fault: which calls it hits, what it does, how many more times."""

    service: str  # botocore service id: dynamodb, sesv2, sns, s3
    operation: str | None  # e.g. TransactWriteItems; None hits every operation
    kind: str  # error | connection | lost
    times: int | None  # attempts left; None: always
    code: str = ""
    status: int = 400
    message: str = "injected fault"
    when: Callable[[Any], bool] | None = None  # narrows by request (e.g. table name)
    hits: int = 0

    def matches(self, service: str, operation: str, request: Any) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.service != service or self.operation not in (None, operation):
            return False
        return self.when is None or self.when(request)


@dataclass(frozen=True)
class Attempt:
    service: str
    operation: str
    fault: str | None  # the kind injected, or None when moto answered untouched
    code: str = ""
    body: bytes = b""


@dataclass
class Injector:
    faults: list[Fault] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)

    # --- planning ----------------------------------------------------------------------------

    def fail(
        self,
        service: str,
        operation: str | None,
        code: str,
        *,
        times: int | None = None,
        status: int = 400,
        when: Callable[[Any], bool] | None = None,
    ) -> Fault:
        """Answer the next ``times`` attempts (None: all) with the error ``code``."""
        return self._plan(
            Fault(service, operation, "error", times, code=code, status=status, when=when)
        )

    def throttle_dynamodb(
        self, operation: str | None, *, times: int | None = None, table: str | None = None
    ) -> Fault:
        return self.fail(
            "dynamodb",
            operation,
            "ProvisionedThroughputExceededException",
            times=times,
            when=on_table(table) if table else None,
        )

    def disconnect(
        self,
        service: str,
        operation: str | None,
        *,
        times: int | None = None,
        when: Callable[[Any], bool] | None = None,
        timeout: bool = False,
    ) -> Fault:
        """The request never reaches the service (unreachable endpoint, or connect timeout)."""
        code = "ConnectTimeoutError" if timeout else "EndpointConnectionError"
        return self._plan(Fault(service, operation, "connection", times, code=code, when=when))

    def lose_response(
        self,
        service: str,
        operation: str | None,
        *,
        times: int | None = None,
        when: Callable[[Any], bool] | None = None,
    ) -> Fault:
        """The service applies the request, then the answer is lost (read timeout)."""
        return self._plan(
            Fault(service, operation, "lost", times, code="ReadTimeoutError", when=when)
        )

    def _plan(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    # --- what happened -----------------------------------------------------------------------

    def calls(
        self, service: str, operation: str | None = None, *, fault: str | bool | None = False
    ) -> list[Attempt]:
        """Recorded attempts; ``fault`` False: all, None: the untouched ones, else that kind."""
        return [
            a
            for a in self.attempts
            if a.service == service
            and operation in (None, a.operation)
            and (fault is False or a.fault == fault)
        ]

    def reached(self, service: str, operation: str, needle: str) -> int:
        """Attempts that reached moto (untouched or ``lost``) whose request names ``needle``."""
        data = needle.encode()
        return sum(
            1
            for a in self.calls(service, operation)
            if a.fault in (None, "lost") and data in a.body
        )

    def injected(self, service: str | None = None, operation: str | None = None) -> int:
        return sum(
            1
            for a in self.attempts
            if a.fault is not None
            and service in (None, a.service)
            and operation in (None, a.operation)
        )

    # --- hooking -----------------------------------------------------------------------------

    def install(self, clients: list[Any]) -> None:
        """Stand in for moto's stubber on each client: every attempt passes through here, and
        only the attempts that are not faulted (or are ``lost``) reach moto."""
        from moto.core.models import botocore_stubber

        for client in clients:
            if any(client is c for c in self._clients):
                continue
            client.meta.events.unregister("before-send", botocore_stubber)
            client.meta.events.register("before-send", self._before_send, HANDLER_ID)
            self._clients.append(client)

    def uninstall(self) -> None:
        from moto.core.models import botocore_stubber

        for client in self._clients:
            client.meta.events.unregister("before-send", self._before_send, HANDLER_ID)
            client.meta.events.register("before-send", botocore_stubber)
        self._clients.clear()

    def _before_send(self, request: Any, event_name: str, **kwargs: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        body = _body(request)
        from moto.core.models import botocore_stubber

        fault = next((f for f in self.faults if f.matches(service, operation, request)), None)
        if fault is None:
            self.attempts.append(Attempt(service, operation, None, body=body))
            answer: AWSResponse | None = botocore_stubber(
                event_name=event_name, request=request, **kwargs
            )
            return answer
        fault.hits += 1
        if fault.times is not None:
            fault.times -= 1
        self.attempts.append(Attempt(service, operation, fault.kind, fault.code, body))
        url = str(request.url)
        if fault.kind == "error":
            return _error_response(service, url, fault.code, fault.status, fault.message)
        if fault.kind == "connection":
            if fault.code == "ConnectTimeoutError":
                raise ConnectTimeoutError(endpoint_url=url)
            raise EndpointConnectionError(endpoint_url=url)
        # lost: let moto apply it, then drop its answer
        botocore_stubber(event_name=event_name, request=request, **kwargs)
        raise ReadTimeoutError(endpoint_url=url)


def _body(request: Any) -> bytes:
    body = request.body or b""
    if isinstance(body, str):
        return body.encode()
    return body if isinstance(body, bytes) else b""


def on_table(table: str, *needles: str) -> Callable[[Any], bool]:
    """A ``when`` for DynamoDB requests naming the platform's table ``table`` (``cases``,
    ``outbox`` …) and holding every one of ``needles`` (e.g. a value the request sets)."""
    from functions.settings import settings

    name = f'"{settings().table_prefix}{table}"'

    def match(request: Any) -> bool:
        text = _body(request).decode("utf-8", "replace")
        return name in text and all(n in text for n in needles)

    return match


def naming(*needles: str) -> Callable[[Any], bool]:
    """A ``when`` for requests whose body holds every one of ``needles`` (an address …)."""

    def match(request: Any) -> bool:
        body = _body(request)
        return all(n.encode() in body for n in needles)

    return match


def platform_clients() -> list[Any]:
    """Every botocore client the platform code uses, created now if not yet."""
    from functions.notify import adapter
    from functions.storage import export_store
    from functions.storage.models import ALL_MODELS

    clients = [model._get_connection().connection.client for model in ALL_MODELS]
    clients += [adapter._client("sesv2"), adapter._client("sns")]
    clients.append(export_store._s3())
    return clients
