"""Secrets never show in repr, str or JSON dumps, and are masked by value in run logs."""

from __future__ import annotations

import logging

import pytest
from blocktypes import SECRETS, ServiceCredentials

from cadenza import flow, get_run_logger, masking, task
from cadenza.blocks.system import Secret


def _logged(record) -> list[str]:
    return [row[0] for row in record("SELECT message FROM logs ORDER BY id")]


def test_repr_str_and_json_never_show_secrets(creds) -> None:
    texts = [
        repr(creds),
        str(creds),
        creds.model_dump_json(),
        str(creds.model_dump(mode="json")),
        repr(creds.model_dump()),
        repr(creds.headers),
        str(creds.headers),
        repr(Secret(value="pa55word-secret")),
    ]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)
    assert "alice" in repr(creds) and "X-Api-Key" in repr(creds.headers)
    assert creds.model_dump(mode="json")["headers"] == {
        "X-Api-Key": "********",
        "Accept": "********",
    }


def test_mask_replaces_registered_values() -> None:
    assert masking.mask("token=abcd1234") == "token=abcd1234"
    masking.register("abcd1234", "abcd1234-longer", "abc", 42, None)
    assert masking.mask("a abcd1234 b abcd1234-longer c") == "a ******** b ******** c"
    assert masking.mask("abc is too short to mask") == "abc is too short to mask"
    assert masking.registered() == {"abcd1234", "abcd1234-longer"}
    assert masking.mask("") == ""


def test_bytes_that_are_utf8_text_are_registered_as_text() -> None:
    masking.register(b"bytes-secret", bytearray(b"bytearray-secret"), b"\xff\xfe-not-text")
    assert masking.registered() == {"bytes-secret", "bytearray-secret"}
    assert masking.mask("got bytes-secret") == "got ********"


def test_a_secret_is_masked_without_its_surrounding_whitespace_too(record) -> None:
    """A PEM key ends with a newline; printed under log_prints, the logged line does not."""
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"
    masking.register(pem)
    assert masking.mask(f"key: {pem.strip()} (end)") == "key: ******** (end)"

    @flow(log_prints=True)
    def careless() -> None:
        print(pem)

    careless()
    logs = "\n".join(m for (m,) in record("SELECT message FROM logs"))
    assert "BEGIN PRIVATE KEY" not in logs and "********" in logs


def test_a_collection_masks_a_value_it_fetched_itself(record) -> None:
    """What a collection does with a secret that is not a block field (a token read from a
    vault): `cadenza.masking.register`, then every run log line masks it."""

    @task
    def fetch_token() -> str:
        token = "fetched-token-value"
        masking.register(token)
        get_run_logger().info("using %s", token)
        return token

    @flow
    def uses_token() -> None:
        fetch_token()

    uses_token()
    assert "using ********" in _logged(record)
    assert "fetched-token-value" not in "\n".join(_logged(record))


def test_secret_values_lists_every_secret_of_a_block(creds) -> None:
    from cadenza.blocks import secret_values

    values = secret_values(creds)
    assert set(values) == set(SECRETS)
    assert "alice" not in values  # plain fields are not secrets
    assert secret_values(Secret(value="one-secret")) == ["one-secret"]


def test_only_saved_or_loaded_secrets_are_registered(creds, creds_type) -> None:
    Secret(value="never-saved-secret")
    assert masking.registered() == frozenset()
    creds.save("prod")
    assert set(SECRETS) <= masking.registered()
    masking.clear()
    ServiceCredentials.load("prod")
    assert set(SECRETS) <= masking.registered()


def test_run_logs_and_captured_prints_mask_loaded_secrets(record) -> None:
    Secret(value="hunter2-secret").save("db-password")
    masking.clear()  # what a fresh process has: the block is loaded inside the flow

    @task(log_prints=True)
    def leaky_task(password: str) -> None:
        print(f"connecting with {password}")

    @flow(log_prints=True)
    def leaky() -> None:
        password = Secret.load("db-password").get()
        get_run_logger().info("the password is %s", password)
        print("printed:", password)
        leaky_task(password)
        try:
            raise RuntimeError(f"failed with {password}")
        except RuntimeError:
            get_run_logger().exception("boom")

    leaky()
    logged = "\n".join(_logged(record))
    assert "hunter2-secret" not in logged
    assert "the password is ********" in logged
    assert "printed: ********" in logged
    assert "connecting with ********" in logged
    assert "failed with ********" in logged  # the traceback text too


def test_console_echo_masks_secrets(console, capsys) -> None:
    Secret(value="console-secret-value").save("c")

    @flow(log_prints=True)
    def echoing() -> None:
        secret = Secret.load("c").get()
        get_run_logger().warning("value %s", secret)
        print("printed", secret)

    echoing()
    err = capsys.readouterr().err
    assert "console-secret-value" not in err
    assert "value ********" in err and "printed ********" in err


def test_logs_outside_the_masking_threshold_are_untouched(record) -> None:
    Secret(value="abc").save("short")  # shorter than 4: not masked (documented)

    @flow
    def short() -> None:
        get_run_logger().info("abc and abcdef")

    short()
    assert "abc and abcdef" in _logged(record)


def test_cadenza_logger_without_a_run_is_not_recorded_but_handlers_mask(caplog) -> None:
    from cadenza.logging.handlers import ConsoleFormatter, ConsoleHandler

    masking.register("handler-secret")
    handler = ConsoleHandler()
    record = logging.LogRecord(
        "cadenza.x", logging.INFO, __file__, 1, "v=%s", ("handler-secret",), None
    )
    assert handler.format(record).endswith("v=********")
    assert isinstance(handler.formatter, ConsoleFormatter)


@pytest.mark.parametrize("value", ["a.b*c(d)", "line\nbreak", "[x]+?"])
def test_values_with_regex_characters_are_masked_literally(value: str) -> None:
    masking.register(value)
    assert masking.mask(f"<{value}>") == "<********>"


def test_a_block_unpickled_in_another_process_registers_its_secrets() -> None:
    import pickle

    Secret(value="pickled-secret").save("p")
    loaded = Secret.load("p")
    payload = pickle.dumps(loaded)
    masking.clear()  # as in a fresh worker process
    assert pickle.loads(payload).get() == "pickled-secret"
    assert "pickled-secret" in masking.registered()
    masking.clear()
    pickle.loads(pickle.dumps(Secret(value="unsaved-secret")))
    assert masking.registered() == frozenset()


def test_run_lines_reach_the_application_s_handlers_masked(caplog) -> None:
    masking.register("caplog-secret")

    @task
    def leaks_in_task() -> None:
        try:
            raise RuntimeError("failed with caplog-secret")
        except RuntimeError:
            get_run_logger().exception("task saw %s", "caplog-secret")

    @flow
    def leaks() -> None:
        get_run_logger().info("token=%s", "caplog-secret")
        leaks_in_task()

    with caplog.at_level(logging.INFO):
        leaks()
    assert "token=********" in caplog.messages
    assert "task saw ********" in caplog.messages
    assert "RuntimeError: failed with ********" in caplog.text
    assert "caplog-secret" not in caplog.text
