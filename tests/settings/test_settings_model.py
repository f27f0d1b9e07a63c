"""The pydantic-settings model is generated from the spec and agrees with it on every value."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from cadenza.settings import model, spec

STRING_INPUTS = [
    "abc",
    "1",
    "0",
    "-1",
    "1.5",
    "1.0",
    " 2 ",
    "1e3",
    "0x10",
    "1_000",
    "true",
    "No",
    "on",
    "t",
    "nan",
    "inf",
    "-inf",
    "debug",
    " Warning ",
    "~/x",
    "http://h:1/api",
]
TOML_INPUTS: list[Any] = [True, False, 0, 1, 2, -3, 1.5, 2.0, -0.5, "x", "INFO", "yes"]


def _spec_outcome(s: spec.Setting, raw: Any) -> tuple[str, Any]:
    try:
        value = spec.convert(s, raw)
    except ValueError:
        return ("error", None)
    return ("ok", value.get_secret_value() if isinstance(value, spec.Secret) else value)


def _model_value(instance: Any, s: spec.Setting) -> Any:
    value = getattr(instance, s.field)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    if a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if isinstance(x, float) and isinstance(y, float) and x != x and y != y:  # both nan
        return True
    return type(x) is type(y) and x == y


def test_model_has_exactly_one_field_per_setting() -> None:
    fields = model.CadenzaSettings.model_fields
    assert list(fields) == [s.field for s in spec.SETTINGS]
    for s in spec.SETTINGS:
        info = fields[s.field]
        assert info.validation_alias == s.name
        assert info.description == s.doc
        assert info.default == s.default
        assert info.is_required() is False
        members = typing.get_args(info.annotation) or (info.annotation,)
        assert (type(None) in members) is s.optional, s.name
        expected = SecretStr if s.secret else s.type
        assert [m for m in members if m is not type(None)] == [expected], s.name


def test_generating_from_another_spec_adds_the_field() -> None:
    extra = spec.Setting("CADENZA_WIDGETS", int, 3, "Number of widgets.", minimum=1)
    generated = model.build_model((*spec.SETTINGS, extra))
    assert generated.model_fields["widgets"].validation_alias == "CADENZA_WIDGETS"
    assert generated().widgets == 3
    assert generated(CADENZA_WIDGETS="5").widgets == 5
    with pytest.raises(ValidationError, match=">= 1"):
        generated(CADENZA_WIDGETS="0")


def test_defaults_agree(cadenza_home: Path) -> None:
    instance = model.validate()
    for s in spec.SETTINGS:
        value = spec.get(s.name)
        if isinstance(value, spec.Secret):
            value = value.get_secret_value()
        assert _same(("ok", _model_value(instance, s)), ("ok", value)), s.name
    assert instance.home == cadenza_home


@pytest.mark.parametrize("s", spec.SETTINGS, ids=lambda s: s.name)
def test_spec_and_model_agree_on_environment_strings(
    s: spec.Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    disagreements = []
    for raw in STRING_INPUTS:
        monkeypatch.setenv(s.name, raw)
        if s.name == "CADENZA_HOME":
            monkeypatch.setenv("HOME", "/tmp/fakehome")
        try:
            got = ("ok", _model_value(model.CadenzaSettings(), s))
        except ValidationError:
            got = ("error", None)
        expected = _spec_outcome(s, raw)
        if not _same(got, expected):
            disagreements.append((raw, expected, got))
    assert disagreements == []


@pytest.mark.parametrize("s", [s for s in spec.SETTINGS if s.in_profile], ids=lambda s: s.name)
def test_spec_and_model_agree_on_profile_values(
    s: spec.Setting, write_profiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    disagreements = []
    for raw in TOML_INPUTS:
        from cadenza.settings import profiles

        doc = profiles.ProfilesDoc(
            Path(spec.home_from()) / "profiles.toml", "default", {"default": {s.name: raw}}
        )
        write_profiles(profiles.dumps(doc))
        try:
            got = ("ok", _model_value(model.CadenzaSettings(), s))
        except ValidationError:
            got = ("error", None)
        try:
            value = spec.get(s.name)
            expected = ("ok", value.get_secret_value() if s.secret else value)
        except ValueError:
            expected = ("error", None)
        if not _same(got, expected):
            disagreements.append((raw, expected, got))
    assert disagreements == []


def test_model_reads_profile_and_env_wins(write_profiles, monkeypatch) -> None:
    write_profiles('[profiles.default]\nCADENZA_LOGGING_LEVEL = "debug"\nCADENZA_API_KEY = "k1"\n')
    instance = model.validate()
    assert instance.logging_level == "DEBUG"
    assert instance.api_key.get_secret_value() == "k1"
    monkeypatch.setenv("CADENZA_LOGGING_LEVEL", "error")
    assert model.validate().logging_level == "ERROR"
    assert model.validate(logging_level="warning").logging_level == "WARNING"


def test_validate_reports_every_bad_setting(monkeypatch, write_profiles) -> None:
    write_profiles(
        "[profiles.default]\nCADENZA_TASK_DEFAULT_RETRIES = -2\nCADENZA_FLUSH_INTERVL = 1\n"
    )
    monkeypatch.setenv("CADENZA_FLUSH_INTERVAL", "abc")
    monkeypatch.setenv("CADENZA_LOGGING_CONSOLE", "perhaps")
    with pytest.raises(model.SettingsValidationError) as info:
        model.validate()
    problems = info.value.problems
    assert set(problems) == {
        "CADENZA_FLUSH_INTERVAL",
        "CADENZA_LOGGING_CONSOLE",
        "CADENZA_TASK_DEFAULT_RETRIES",
        "CADENZA_FLUSH_INTERVL",
    }
    assert "'abc'" in problems["CADENZA_FLUSH_INTERVAL"]
    assert "env" in problems["CADENZA_FLUSH_INTERVAL"]
    assert "profile" in problems["CADENZA_TASK_DEFAULT_RETRIES"]
    assert "did you mean CADENZA_FLUSH_INTERVAL" in problems["CADENZA_FLUSH_INTERVL"]
    message = str(info.value)
    for name in problems:
        assert name in message


def test_validate_reports_missing_profile(monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_PROFILE", "nowhere")
    with pytest.raises(model.SettingsValidationError, match="nowhere"):
        model.validate()


def test_secret_never_in_validation_message(monkeypatch) -> None:
    with pytest.raises(model.SettingsValidationError) as info:
        model.validate(api_key=12345)
    assert "12345" not in str(info.value)
    assert "CADENZA_API_KEY" in str(info.value)


def test_spec_import_does_not_need_the_model() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cadenza.settings as s; s.get('CADENZA_LOGGING_LEVEL');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('pydantic', 'pydantic_settings', 'cadenza.settings.model')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
