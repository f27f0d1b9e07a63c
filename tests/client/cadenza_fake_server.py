"""An in-memory stand-in for the server's API v1, served through `httpx.MockTransport`.

It keeps flow runs, transitions (deduplicated by ``(run_id, transition_id)``) and logs, counts
requests, and can be switched "down" (every request raises `httpx.ConnectError`).
"""

from __future__ import annotations

import json

import httpx


class FakeServer:
    def __init__(self, api_key: str | None = None, api_version: int = 1) -> None:
        self.api_key = api_key
        self.api_version = api_version
        self.down = False
        self.requests: list[tuple[str, str]] = []
        self.flow_runs: dict[str, dict] = {}
        self.task_runs: dict[str, dict] = {}
        self.transitions: dict[tuple[str, str], dict] = {}
        self.order: list[tuple[str, str]] = []
        self.logs: list[dict] = []
        self.auth_seen: list[str | None] = []
        self.fail_next: list[httpx.Response] = []  # answered before the real handling

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        self.requests.append((request.method, path))
        self.auth_seen.append(request.headers.get("Authorization"))
        if self.fail_next:
            return self.fail_next.pop(0)
        if path == "/api/health":
            return httpx.Response(200, json={"status": "ok"})
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return httpx.Response(401, json={"detail": "missing or wrong API key"})
        body = json.loads(request.content) if request.content else None
        if path == "/api/version":
            return httpx.Response(
                200, json={"api_version": self.api_version, "cadenza_version": "x"}
            )
        if path == "/api/flow_runs" and request.method == "POST":
            existed = body["id"] in self.flow_runs
            self.flow_runs.setdefault(body["id"], {**body, "state": None})
            return httpx.Response(200 if existed else 201, json={"id": body["id"]})
        if path.endswith("/set_state"):
            run_id = path.split("/")[-2]
            if run_id not in self.flow_runs:
                return httpx.Response(200, json={"decision": "ABORT", "reason": "unknown run"})
            self._transition(run_id, run_id, body)
            self.flow_runs[run_id]["state"] = body["state"]["type"]
            return httpx.Response(200, json={"decision": "ACCEPT", "reason": "", "delay": 0})
        if path == "/api/batch":
            accepted = duplicates = 0
            for row in body.get("task_runs", []):
                self.task_runs[row["id"]] = row
            for t in body.get("transitions", []):
                if self._transition(t["run_id"], t["flow_run_id"], t):
                    accepted += 1
                else:
                    duplicates += 1
            self.logs.extend(body.get("logs", []))
            return httpx.Response(
                200, json={"accepted": accepted, "duplicates": duplicates, "rejected": []}
            )
        return httpx.Response(404, json={"detail": f"no route {path}"})

    def _transition(self, run_id: str, flow_run_id: str, body: dict) -> bool:
        key = (run_id, body["transition_id"])
        if key in self.transitions:
            return False
        self.transitions[key] = {**body, "flow_run_id": flow_run_id}
        self.order.append(key)
        return True

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.requests if p == path)
