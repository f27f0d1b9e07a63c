"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, for tests that put faults between a client
and a real server process.

    with FaultProxy(server.url).start() as proxy:      # proxy.url replaces server.url
        batch3 = proxy.inject(drop_response(), method="POST", path="/api/batch", nth=3)
        ...                                             # run a client against proxy.url
        assert batch3.fired == 1                        # the fault really happened

Each client connection gets its own connection to the server; requests are forwarded byte for
byte (keep-alive, Content-Length and chunked bodies) and so are the answers. Before forwarding,
the rules are asked in the order they were added; the first that fires applies its fault:

- `drop_response()` — forward, read the server's answer (it has committed), then close the
  client's connection without replying;
- `reset()` — do not forward; reset the client's connection (RST, ``SO_LINGER`` 0);
- `delay(request=s, response=s)` — wait before forwarding and/or before replying (the request
  is forwarded even if the client gave up meanwhile: a late duplicate, as a slow server sees);
- `respond(status, body, retry_after=, forward=False)` — answer this status without
  forwarding, or, with ``forward=True``, after the server committed (its answer is lost).

`inject` chooses which requests: ``method`` and ``path`` (a regex the whole path must match)
and ``match`` (a predicate on the `Request`) filter what a rule sees; among those, ``nth`` (one
number or several, 1-based), ``every`` (each k-th), ``rate`` (a probability, with ``seed``) pick
the ones to fault — all of them by default. ``seconds`` keeps the rule firing on every request
it sees for that long after it first fired (an outage); ``times`` caps how often it fires.
Every rule counts every request its filters let through (retries are requests too), so "the
3rd POST /api/batch" means the client's 3rd; a rule after the one that fired only counts it.

`proxy.exchanges` lists every request seen (number, method, path, body size, fault, the
server's status); `proxy.injected(kind)` counts the faults applied, so a test can show that
each fault reached the client. Stop the proxy with `stop()` (or the ``with`` block).
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# -- faults -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What to do to one request; made by the functions below."""

    kind: str  # "drop_response" | "reset" | "delay" | "respond"
    status: int = 0
    body: Any = None  # JSON, bytes, or a function of the Request returning either
    headers: tuple[tuple[str, str], ...] = ()
    forward: bool = False
    before: float = 0.0  # delay: seconds before forwarding
    after: float = 0.0  # delay: seconds before replying


def drop_response() -> Fault:
    """Forward the request and read the answer, then close the client's connection."""
    return Fault("drop_response", forward=True)


def reset() -> Fault:
    """Reset the client's connection (RST) instead of forwarding the request."""
    return Fault("reset")


def delay(request: float = 0.0, response: float = 0.0) -> Fault:
    """Wait `request` seconds before forwarding and `response` seconds before replying."""
    return Fault("delay", forward=True, before=request, after=response)


def respond(
    status: int,
    body: Any = None,
    *,
    retry_after: float | None = None,
    headers: dict[str, str] | None = None,
    forward: bool = False,
) -> Fault:
    """Answer `status` with `body` (JSON by default ``{"detail": ...}``; bytes as they are; a
    function of the `Request`), instead of forwarding — or after forwarding, if `forward`."""
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = f"{retry_after:g}"
    if body is None:
        body = {"detail": f"injected by the fault proxy: HTTP {status}"}
    return Fault("respond", status, body, tuple(extra.items()), forward)


# -- requests and rules -------------------------------------------------------------------------


@dataclass
class Request:
    """One request as the client sent it: ``head`` and ``raw`` are forwarded as they are."""

    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    head: bytes
    raw: bytes  # the body as it came on the wire (chunked or not)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Rule:
    """A fault and the requests it applies to (see the module docstring); `seen` and `fired`
    count the requests it was asked about and the ones it faulted."""

    fault: Fault
    method: str | None = None
    path: str | None = None
    match: Callable[[Request], bool] | None = None
    nth: frozenset[int] | None = None
    every: int | None = None
    rate: float | None = None
    seed: int | None = None
    seconds: float | None = None
    times: int | None = None
    seen: int = 0
    fired: int = 0
    opened: float | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def fires(self, request: Request, now: float, shadowed: bool = False) -> bool:
        """Whether to fault `request`; a `shadowed` rule (an earlier one fired) only counts it."""
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.path is not None and not re.fullmatch(self.path, request.path):
            return False
        if self.match is not None and not self.match(request):
            return False
        self.seen += 1
        if shadowed:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.opened is not None:  # an open window fires on all it sees, then ends
            if now - self.opened >= (self.seconds or 0.0):
                return False
        elif self.nth is not None:
            if self.seen not in self.nth:
                return False
        elif self.every is not None:
            if self.seen % self.every:
                return False
        elif self.rate is not None and self._rng.random() >= self.rate:
            return False
        if self.seconds is not None and self.opened is None:
            self.opened = now
        self.fired += 1
        return True


@dataclass
class Exchange:
    """A request the proxy saw: the fault applied (or None) and the server's status (None when
    it was not forwarded or did not answer)."""

    number: int
    method: str
    path: str
    size: int
    fault: str | None = None
    status: int | None = None


# -- the proxy ----------------------------------------------------------------------------------


class FaultProxy:
    """The proxy (see the module docstring): ``start()``, ``url``, ``inject``, ``stop()``."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._suffix = parts.path.rstrip("/")
        self.rules: list[Rule] = []
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._stopped = threading.Event()
        self.port = 0
        self.connections = 0  # client connections accepted

    @property
    def url(self) -> str:
        """The upstream URL with the proxy's address instead (same path, e.g. ``/api``)."""
        return f"http://127.0.0.1:{self.port}{self._suffix}"

    def start(self) -> FaultProxy:
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection."""
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        match: Callable[[Request], bool] | None = None,
        nth: int | Iterable[int] | None = None,
        every: int | None = None,
        rate: float | None = None,
        seed: int | None = None,
        seconds: float | None = None,
        times: int | None = None,
    ) -> Rule:
        """Add a rule after the others and return it (see the module docstring)."""
        numbers = None if nth is None else frozenset([nth] if isinstance(nth, int) else nth)
        rule = Rule(fault, method, path, match, numbers, every, rate, seed, seconds, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule: from now on each request is forwarded as it is."""
        with self._lock:
            self.rules = []

    def injected(self, kind: str | None = None, path: str | None = None) -> int:
        """How many faults (of `kind`, on requests to `path`, a regex) were applied."""
        with self._lock:
            return sum(1 for e in self.exchanges if e.fault is not None
                       and (kind is None or e.fault == kind)
                       and (path is None or re.fullmatch(path, e.path)))  # fmt: skip

    def statuses(self, path: str | None = None) -> list[int | None]:
        """The server's status for each forwarded request (to `path`, a regex), in order."""
        with self._lock:
            return [e.status for e in self.exchanges
                    if path is None or re.fullmatch(path, e.path)]  # fmt: skip

    # -- connections ----------------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(client)
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        """One client connection: requests in order, until either side closes."""
        reader = client.makefile("rb")
        upstream = _Upstream(self.upstream, self)
        ending = "close"
        try:
            while not self._stopped.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                ending = self._exchange(request, client, upstream)
                if ending != "keep":
                    return
        except (OSError, ValueError):  # the client went away, or sent no HTTP
            return
        finally:
            reader.close()
            upstream.close()
            self._forget(client)
            if ending == "reset":  # no FIN first: close with SO_LINGER 0 sends the RST
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
            else:
                _close(client)

    def _exchange(self, request: Request, client: socket.socket, upstream: _Upstream) -> str:
        """Handle one request: "keep" the client connection, "close" it or "reset" it."""
        now = time.monotonic()
        with self._lock:
            fault = None
            for rule in self.rules:
                if rule.fires(request, now, shadowed=fault is not None):
                    fault = rule.fault
            exchange = Exchange(len(self.exchanges) + 1, request.method, request.path,
                                len(request.body), fault.kind if fault else None)  # fmt: skip
            self.exchanges.append(exchange)
        if fault is not None and fault.kind == "reset":
            return "reset"
        if fault is not None and fault.before:
            time.sleep(fault.before)
        answer: bytes | None = None
        if fault is None or fault.forward:
            try:
                status, answer = upstream.send(request)
            except (OSError, ValueError):  # the server went away: so does the answer
                upstream.close()
                return "close"
            exchange.status = status
        if fault is not None:
            if fault.kind == "drop_response":
                return "close"
            if fault.kind == "respond":
                answer = _response(fault, request)
            time.sleep(fault.after)
        client.sendall(answer or b"")
        return "close" if request.headers.get("connection", "").lower() == "close" else "keep"

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)


class _Upstream:
    """The keep-alive connection to the server behind one client connection: opened when
    first needed and again when the server closed it; `stop` closes it too."""

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.address = address
        self.proxy = proxy
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def _connect(self) -> None:
        # an idle connection that is readable was closed by the server (keep-alive timeout)
        if self.sock is not None and select.select([self.sock], [], [], 0)[0]:
            self.close()
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=60)
            self.reader = self.sock.makefile("rb")
            with self.proxy._lock:
                self.proxy._open.add(self.sock)

    def send(self, request: Request) -> tuple[int, bytes]:
        """Forward `request`; the server's status and its whole answer as bytes."""
        self._connect()
        assert self.sock is not None
        self.sock.sendall(request.head + request.raw)
        head = _read_head(self.reader)
        if head is None:
            raise ValueError("the server closed the connection without answering")
        status = int(head.split(b" ", 2)[1])
        headers = _headers(head)
        keep = headers.get("connection", "").lower() != "close"
        if request.method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            raw = b""
        elif "content-length" in headers or "chunked" in headers.get("transfer-encoding", ""):
            raw = _read_body(self.reader, headers)[1]
        else:  # delimited by the server closing the connection
            raw, keep = self.reader.read(), False
        if not keep:
            self.close()
        return status, head + raw

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.proxy._forget(self.sock)
            _close(self.sock)
            self.sock = self.reader = None


# -- HTTP/1.1 framing ---------------------------------------------------------------------------


def _read_head(reader: Any) -> bytes | None:
    """A request or status line and its headers, through the blank line; None at EOF."""
    lines = []
    while True:
        line = reader.readline(65537)
        if not line:
            return None if not lines else _truncated()
        if not lines and line in (b"\r\n", b"\n"):
            continue  # stray blank lines between messages
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _truncated() -> bytes:
    raise ValueError("the connection closed in the middle of a message head")


def _headers(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _read_body(reader: Any, headers: dict[str, str]) -> tuple[bytes, bytes]:
    """(the body, the bytes it took on the wire) by Content-Length or chunked framing."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, raw = [], []
        while True:
            size_line = reader.readline(65537)
            raw.append(size_line)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, through the blank line
                    line = reader.readline(65537)
                    raw.append(line)
                    if line in (b"\r\n", b"\n", b""):
                        return b"".join(body), b"".join(raw)
            chunk = _read_exactly(reader, size + 2)
            body.append(chunk[:size])
            raw.append(chunk)
    data = _read_exactly(reader, int(headers.get("content-length") or 0))
    return data, data


def _read_exactly(reader: Any, n: int) -> bytes:
    data = reader.read(n)
    if len(data) != n:
        raise ValueError(f"the connection closed after {len(data)} of {n} bytes")
    return data


def _read_request(reader: Any) -> Request | None:
    head = _read_head(reader)
    if head is None:
        return None
    method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    headers = _headers(head)
    body, raw = _read_body(reader, headers)
    return Request(method, target, headers, body, head, raw)


def _response(fault: Fault, request: Request) -> bytes:
    body = fault.body(request) if callable(fault.body) else fault.body
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    lines = [f"HTTP/1.1 {fault.status} Injected", "content-type: application/json",
             f"content-length: {len(data)}"] + [f"{k}: {v}" for k, v in fault.headers]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def _close(sock: socket.socket) -> None:
    """Shut down (which wakes a thread blocked reading it) and close."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


__all__ = [
    "Exchange",
    "Fault",
    "FaultProxy",
    "Request",
    "Rule",
    "delay",
    "drop_response",
    "reset",
    "respond",
]
