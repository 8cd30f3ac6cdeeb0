"""The guard around every request: body size, security headers, access log, and errors that never leak.

:class:`Guard` is plain ASGI middleware (no framework import), outermost in the application:

* a body larger than the limit is refused with 413 before it is read in full;
* every response gets ``Content-Security-Policy`` (a strict default; HTML pages set their own, with
  hashes of their inline style and script), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store`` and a closed ``Permissions-Policy``;
* the access log line is method, route, status and milliseconds: never a body, a query string or a
  path segment that was not one of the service's own;
* an unexpected exception becomes a JSON 500 and one log line naming its type, never a traceback.

:func:`parse_json` reads a JSON body with a depth limit checked *before* parsing, and strictly: a key
named twice in one object, an integer of more than 4,300 digits or a lone surrogate is a 400 naming the
key, never read silently and never a 500. Every JSON body of the service is read through it (the
framework's own ``request.json()`` is not used).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

ACCESS_LOG = logging.getLogger("trafficscreen.server.access")
ERROR_LOG = logging.getLogger("trafficscreen.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'"
WARNING_HEADER = b"x-trafficscreen-warning"

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class BodyTooLarge(Exception):
    pass


class BadJson(Exception):
    """A JSON body that cannot be used; ``status`` is 400 or 413."""

    def __init__(self, reason: str, status: int = 400) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


def json_depth(data: bytes) -> int:
    """Deepest nesting of arrays and objects in ``data`` (brackets inside strings do not count)."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def parse_json(data: bytes, max_depth: int) -> Any:
    """Parse a JSON body; :class:`BadJson` for empty, malformed, non-UTF-8 or too deeply nested input,
    a duplicated key, a huge integer or a lone surrogate."""
    from ..errors import JSONInputError
    from ..model.encounter import strict_json_loads

    if not data.strip():
        raise BadJson("the request body is empty; expected JSON")
    if data.count(b"[") + data.count(b"{") > max_depth and json_depth(data) > max_depth:
        raise BadJson(f"JSON nested deeper than {max_depth} levels")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("the request body is not UTF-8") from None
    try:
        return strict_json_loads(text)
    except json.JSONDecodeError as exc:
        raise BadJson(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except JSONInputError as exc:
        raise BadJson(f"JSON refused: {exc.message}") from None
    except ValueError:
        raise BadJson("malformed JSON") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise BadJson(f"JSON nested deeper than {max_depth} levels") from None


HTTP_ERROR_CODES = {
    400: "request.invalid",
    401: "auth.refused",
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.unprocessable",
    500: "server.internal",
    503: "server.unavailable",
}
"""Stable ``code`` of an error body that no library exception caused (those carry the exception's own
code, see :mod:`trafficscreen.errors`); a client branches on the code, never on the wording."""


def error_code(status: int) -> str:
    return HTTP_ERROR_CODES.get(status, "request.error")


def json_error_body(message: str, code: str) -> bytes:
    return json.dumps({"error": message, "code": code}, ensure_ascii=False).encode("utf-8")


class Guard:
    """Outermost ASGI middleware: limits, headers, access log, last-resort error handling."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        csp: str = DEFAULT_CSP,
        route_of: Callable[[str], str] | None = None,
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_of = route_of or (lambda path: path)
        base: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        base.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers)
        self.headers = base
        self.names = {k for k, _ in base}
        self.csp = csp.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = {"status": 0, "started": False}
        limit = self.max_body_bytes

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                headers.extend(self.headers)
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", self.csp))
                message["headers"] = headers
            await send(message)

        length = _content_length(scope)
        try:
            if length is not None and length > limit:
                await self._json(send_wrapper, 413, f"request body larger than {limit // 1024} KB")
                return
            received = 0

            async def receive_wrapper() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge
                return message

            await self.app(scope, receive_wrapper, send_wrapper)
        except BodyTooLarge:
            if not state["started"]:
                await self._json(send_wrapper, 413, f"request body larger than {limit // 1024} KB")
        except Exception as exc:  # the last resort: one line, no traceback, no values
            ERROR_LOG.error(
                "internal error %s while serving %s %s",
                type(exc).__name__,
                scope.get("method"),
                self.route_of(scope.get("path", "")),
            )
            if not state["started"]:
                await self._json(send_wrapper, 500, "internal error")
        finally:
            ms = (time.perf_counter() - start) * 1000
            ACCESS_LOG.info(
                "%s %s %s %.1fms", scope.get("method"), self.route_of(scope.get("path", "")), state["status"], ms
            )

    @staticmethod
    async def _json(send: Send, status: int, message: str) -> None:
        body = json_error_body(message, error_code(status))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
