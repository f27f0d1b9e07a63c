"""The server's block encryption key lost: an error naming it, never a silent new key (issue
12, defect 4), in the one error shape."""

from __future__ import annotations

from cadenza.blocks.crypto import KEY_FILE, reset_cache


def secret_block(value: str) -> dict:
    return {"data": {"value": {"$cadenza-secret": "str", "value": value}}, "schema_checksum": "c"}


def test_a_lost_server_key_is_named_and_never_replaced(client, cadenza_home) -> None:
    saved = client.put("/api/blocks/secret/first", json=secret_block("first-secret-value"))
    assert saved.status_code in (200, 201), saved.text
    key = cadenza_home / KEY_FILE
    assert key.exists()
    key.unlink()
    reset_cache()  # as a restarted server would: the key is read from its file again

    read = client.get("/api/blocks/secret/first", params={"include_secrets": "true"})
    assert read.status_code == 409
    assert str(key) in read.json()["detail"]

    second = client.put("/api/blocks/secret/second", json=secret_block("second-secret-value"))
    assert second.status_code == 409, second.text
    assert str(key) in second.json()["detail"]
    assert not key.exists()  # no new key was made behind the operator's back
