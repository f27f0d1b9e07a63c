"""The pydantic-settings model of every cadenza setting, generated from `cadenza.settings.spec`.

Heavy (pydantic-settings costs a quarter of a second to import): import this module only where
full validation is wanted — ``cadenza config`` and `validate` — never on the path of a run.

`CadenzaSettings` has one field per `spec.Setting`: the attribute is `Setting.field`
(``flush_interval``), the environment variable and profile key is `Setting.name`
(``CADENZA_FLUSH_INTERVAL``), secrets are ``SecretStr``, and conversion and constraints are the
spec's own (`spec.parse`, `spec.constrain`), so the model and `spec.get` accept and reject the
same values. Sources, highest first: keyword arguments, environment, the active profile in
``$CADENZA_HOME/profiles.toml``, the default.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Optional

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cadenza.settings import spec

__all__ = ["CadenzaSettings", "SettingsValidationError", "build_model", "validate"]


class SettingsValidationError(ValueError):
    """One or more settings are invalid. ``problems`` maps each setting (or file) to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        lines = [f"{len(problems)} invalid setting(s):"]
        lines += [f"  {name}: {message}" for name, message in problems.items()]
        super().__init__("\n".join(lines))


class ProfileSource(PydanticBaseSettingsSource):
    """Settings source reading the active profile of ``$CADENZA_HOME/profiles.toml``.

    Unreadable files and unknown profiles yield no values here; `validate` reports them.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        try:
            values = spec.profile_values(spec.read_profiles())
        except ValueError:
            values = {}
        self._values = {
            k: v for k, v in values.items() if k in spec.BY_NAME and spec.BY_NAME[k].in_profile
        }

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        key = field.validation_alias if isinstance(field.validation_alias, str) else field_name
        return self._values.get(key), key, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _annotation(s: spec.Setting) -> Any:
    """The pydantic type of one setting: the spec's parser, base type, the spec's constraints."""
    base: Any = SecretStr if s.secret else s.type
    if s.optional:
        base = Optional[base]  # noqa: UP045 - built at runtime from a variable
    return Annotated[
        base,
        BeforeValidator(partial(spec.parse, s)),
        AfterValidator(partial(spec.constrain, s)),
    ]


def build_model(settings: tuple[spec.Setting, ...] = spec.SETTINGS) -> type[BaseSettings]:
    """Generate the settings model class from ``settings`` (default: every cadenza setting)."""

    def settings_customise_sources(
        cls: type[BaseSettings],
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ProfileSource(settings_cls))

    base = type(
        "_CadenzaSettingsBase",
        (BaseSettings,),
        {
            "__module__": __name__,
            "model_config": SettingsConfigDict(
                env_prefix=spec.PREFIX,
                case_sensitive=True,
                env_ignore_empty=True,
                validate_default=True,
                populate_by_name=True,
                extra="ignore",
                frozen=True,
            ),
            "settings_customise_sources": classmethod(settings_customise_sources),
        },
    )
    fields: dict[str, Any] = {
        s.field: (
            _annotation(s),
            Field(default=s.default, validation_alias=s.name, description=s.doc),
        )
        for s in settings
    }
    return create_model("CadenzaSettings", __base__=base, __module__=__name__, **fields)


CadenzaSettings = build_model()
_BY_FIELD = {s.field: s for s in spec.SETTINGS}


def _shown(setting: spec.Setting | None, value: Any) -> str:
    return "'********'" if setting is not None and setting.secret else repr(value)


def _file_problems() -> dict[str, str]:
    """Problems with profiles.toml: unreadable, missing active profile, unknown/misplaced keys."""
    try:
        doc = spec.read_profiles()
        values = spec.profile_values(doc)
    except ValueError as exc:
        return {"profiles.toml": str(exc)}
    problems: dict[str, str] = {}
    name = spec.active_profile(doc).value
    for key in values:
        where = f"profile {name!r} in {doc.path}"
        if key not in spec.BY_NAME:
            try:
                spec.setting(key)
            except KeyError as exc:
                problems[key] = f"{exc.args[0]} ({where})"
        elif not spec.BY_NAME[key].in_profile:
            problems[key] = f"cannot be set in a profile, only in the environment ({where})"
    return problems


def validate(**overrides: Any) -> BaseSettings:
    """Validate every setting at once and return the populated `CadenzaSettings`.

    ``overrides`` (field names or env names) take precedence over every source. Raises
    `SettingsValidationError` listing every bad setting — each with its name, the offending value
    (secrets masked) and where it came from — plus problems with ``profiles.toml``.
    """
    problems = _file_problems()
    try:
        settings = CadenzaSettings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            setting = spec.BY_NAME.get(name) or _BY_FIELD.get(name)
            if setting is not None:
                name = setting.name
            if setting is not None and (name in overrides or setting.field in overrides):
                source = "argument"
            elif spec.env_value(name) is not None:
                source = spec.ENV
            else:
                source = spec.PROFILE
            message = error["msg"].removeprefix("Value error, ")
            problems[name] = f"{_shown(setting, error.get('input'))} (from {source}): {message}"
        settings = None
    if problems:
        raise SettingsValidationError(problems)
    assert settings is not None
    return settings
