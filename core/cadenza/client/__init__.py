"""Clients of the coordination server's HTTP API (docs/api.md).

`cadenza.client.http.ApiClient` is the synchronous httpx client; `cadenza.client.spool` keeps what
could not be sent in an on-disk journal. Importing this package does not import httpx.
"""
