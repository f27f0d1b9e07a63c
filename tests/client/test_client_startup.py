"""What the client costs a flow's start-up: httpx without its CLI, no CA bundle for plain HTTP."""

from __future__ import annotations

import ssl
import subprocess
import sys

from cadenza.client.http import _tls_for


def test_the_client_imports_httpx_without_its_command_line_tool() -> None:
    code = (
        "import sys, cadenza.client.http as h\n"
        "assert h.httpx.Client and 'httpx' in sys.modules\n"
        "assert 'httpx._main' not in sys.modules and 'rich' not in sys.modules\n"
        "import httpx._main  # still importable afterwards\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_https_verifies_with_the_default_cas_and_http_loads_none() -> None:
    assert _tls_for("https://cadenza.example.com/api") is True
    plain = _tls_for("http://127.0.0.1:4200/api")
    assert isinstance(plain, ssl.SSLContext)
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.get_ca_certs() == []  # trusts nothing: TLS through it would fail, not pass


def test_get_client_is_where_prefect_users_import_it_from(monkeypatch) -> None:
    import cadenza
    from cadenza.client import get_client as from_package
    from cadenza.client.http import ApiClient
    from cadenza.client.orchestration import CadenzaClient, SyncCadenzaClient, get_client

    assert cadenza.get_client is get_client is from_package
    monkeypatch.setenv("CADENZA_API_URL", "http://127.0.0.1:9/api")
    from cadenza.settings import spec

    spec.reset_cache()
    with get_client(sync_client=True) as client:
        assert isinstance(client, SyncCadenzaClient)
        api = client.record.api
        assert isinstance(api, ApiClient) and api.url == "http://127.0.0.1:9/api"
        assert client.list_flow_runs.__self__ is api  # the server's own routes answer too
    assert isinstance(get_client(), CadenzaClient)
