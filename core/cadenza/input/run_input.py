"""`RunInput`: the pydantic model of what a paused flow run waits for (Prefect's
`prefect.input.run_input`, its pause and resume part).

``pause_flow_run(wait_for_input=X)`` takes a `RunInput` subclass, any pydantic model, or a plain
type (``int``, ``list[str]``, a dataclass ...), which is wrapped in an `AutomaticRunInput` with
one field, ``value``. The paused run saves the model's JSON schema (`save`), the resumer's input
is validated against it, and the run reads the input back (`load`): an instance of the model,
or for a plain type the value itself.

Running flow runs also exchange inputs as messages (Prefect's interactive workflows):
``Model(...).send_to(flow_run_id)`` or ``send_input(value, flow_run_id)`` store one, and
``Model.receive()`` / ``receive_input(type)`` hand them over one by one
(`cadenza.input.inbox.GetInputHandler`); ``received.respond(Model(...))`` answers the flow run
that sent it. Sending and `GetInputHandler.next` return awaitables when called from async code.
"""

from __future__ import annotations

from inspect import isclass
from typing import Any, ClassVar, Generic, TypeVar, cast

import pydantic
from pydantic import ConfigDict

from cadenza._dispatch import async_form, dual
from cadenza.input.actions import ensure_flow_run_id, read_flow_run_input
from cadenza.input.inbox import GetInputHandler, default_prefix, send
from cadenza.input.keys import Keyset, keyset_from_base_key
from cadenza.input.records import open_record

R = TypeVar("R", bound="BaseRunInput")
T = TypeVar("T")


class RunInputMetadata(pydantic.BaseModel):
    """Where an input came from: its key, who sent it, the flow run that received it."""

    key: str
    sender: str | None = None
    receiver: str


class BaseRunInput(pydantic.BaseModel):
    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    _description: str | None = pydantic.PrivateAttr(default=None)
    _metadata: RunInputMetadata = pydantic.PrivateAttr()

    @property
    def metadata(self) -> RunInputMetadata:
        return self._metadata

    @classmethod
    def keyset_from_type(cls) -> Keyset:
        return keyset_from_base_key(cls.__name__.lower())

    @classmethod
    def save(cls, keyset: Keyset, flow_run_id: Any = None) -> None:
        """Save this model's JSON schema (and description, if any) under `keyset`, replacing
        what a previous attempt saved there."""
        run_id = ensure_flow_run_id(flow_run_id)
        schema = cls.model_json_schema(by_alias=True)
        with open_record() as record:
            record.create(run_id, keyset["schema"], schema, replace=True)
            description = cls._description if isinstance(cls._description, str) else None
            if description:
                record.create(run_id, keyset["description"], description, replace=True)

    @classmethod
    def load(cls: type[R], keyset: Keyset, flow_run_id: Any = None) -> Any:
        """The input stored under ``keyset["response"]`` as an instance of this model."""
        run_id = ensure_flow_run_id(flow_run_id)
        value = read_flow_run_input(keyset["response"], flow_run_id=run_id, _sync=True)  # type: ignore[call-arg]  # sync even in async code
        instance = cls(**value) if value else cls()
        instance._metadata = RunInputMetadata(key=keyset["response"], receiver=run_id)
        return instance

    @classmethod
    def load_from_flow_run_input(cls: type[R], flow_run_input: dict[str, Any]) -> R:
        """An instance from a stored input (a `filter_flow_run_input` item)."""
        instance = cls(**flow_run_input["value"])
        instance._metadata = RunInputMetadata(
            key=flow_run_input["key"],
            sender=flow_run_input.get("sender"),
            receiver=flow_run_input["flow_run_id"],
        )
        return instance

    @classmethod
    def with_initial_data(cls: type[R], description: str | None = None, **kwargs: Any) -> type[R]:
        """A subclass whose fields default to `kwargs`, with a `description` (Markdown) to
        show whoever resumes the run."""
        fields: dict[str, Any] = {}
        for key, value in kwargs.items():
            original = cls.model_fields.get(key)
            annotation = original.annotation if original else type(value)
            fields[key] = (annotation, value)
        model = pydantic.create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model._description = description
        return model

    @dual
    def send_to(
        self, flow_run_id: Any, sender: str | None = None, key_prefix: str | None = None
    ) -> None:
        """Send this input to flow run `flow_run_id` (its `receive` hands it over)."""
        send(flow_run_id, self, sender, key_prefix)

    @dual
    def respond(
        self, run_input: BaseRunInput, sender: str | None = None, key_prefix: str | None = None
    ) -> None:
        """Send `run_input` to the flow run this input came from; `RuntimeError` if it was not
        sent from a flow run."""
        origin = self.metadata.sender or ""
        kind, _, run_id = origin.rpartition(".")
        if kind not in _FLOW_RUN_SENDERS or not run_id:
            raise RuntimeError("Cannot respond to an input that was not sent by a flow run.")
        send(run_id, _as_run_input(run_input), sender, key_prefix)


class RunInput(BaseRunInput):
    """Subclass with the fields a paused run waits for: ``class Approval(RunInput): ok: bool``."""

    @classmethod
    def receive(
        cls: type[R],
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        key_prefix: str | None = None,
        flow_run_id: Any = None,
    ) -> GetInputHandler[R]:
        """The inputs of this model sent to the flow run (the current one by default)."""
        return GetInputHandler(cls, key_prefix or default_prefix(cls), timeout, poll_interval,
                               raise_timeout_error, exclude_keys, flow_run_id)  # fmt: skip

    @classmethod
    def subclass_from_base_model_type(cls, model_cls: type[pydantic.BaseModel]) -> type[RunInput]:
        """A `RunInput` subclass of the pydantic model `model_cls`."""
        return type(f"{model_cls.__name__}RunInput", (RunInput, model_cls), {})


class AutomaticRunInput(BaseRunInput, Generic[T]):
    """A plain type wrapped in a model with one field, ``value``; `load` returns the value."""

    value: T

    @classmethod
    def load(cls, keyset: Keyset, flow_run_id: Any = None) -> Any:
        return super().load(keyset, flow_run_id=flow_run_id).value

    @classmethod
    def receive(
        cls,
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        key_prefix: str | None = None,
        flow_run_id: Any = None,
        with_metadata: bool = False,
    ) -> GetInputHandler[Any]:
        """The values of this type sent to the flow run: each the value itself, or its model
        instance (with ``.metadata``) with ``with_metadata=True``."""
        return GetInputHandler(cls, key_prefix or default_prefix(cls), timeout, poll_interval,
                               raise_timeout_error, exclude_keys, flow_run_id,
                               with_metadata)  # fmt: skip

    @classmethod
    def subclass_from_type(cls, _type: Any) -> type[AutomaticRunInput[Any]]:
        prefix = str(getattr(_type, "__name__", getattr(_type, "_name", "")) or "").lower()
        model = pydantic.create_model(
            f"{prefix}AutomaticRunInput", __base__=AutomaticRunInput, value=(_type, ...)
        )
        return cast("type[AutomaticRunInput[Any]]", model)


def run_input_subclass_from_type(_type: Any) -> type[BaseRunInput]:
    """The model a pause waits for: `_type` if it is a `RunInput`, a `RunInput` subclass of a
    pydantic model, else an `AutomaticRunInput` of the type."""
    if isclass(_type):
        if issubclass(_type, RunInput):
            return _type
        if issubclass(_type, pydantic.BaseModel):
            return RunInput.subclass_from_base_model_type(_type)
    try:
        return AutomaticRunInput.subclass_from_type(_type)
    except (pydantic.PydanticSchemaGenerationError, TypeError) as exc:
        raise TypeError(
            f"wait_for_input={_type!r} is not a type a run's input can be checked against: {exc}"
        ) from None


_FLOW_RUN_SENDERS = ("cadenza.flow-run", "prefect.flow-run")


def _as_run_input(value: Any) -> BaseRunInput:
    """`value` as a run-input model instance: itself, a `RunInput` of a pydantic model, or an
    `AutomaticRunInput` of its type holding it."""
    if isinstance(value, BaseRunInput):
        return value
    model = run_input_subclass_from_type(type(value))
    if issubclass(model, AutomaticRunInput):
        return model(value=value)
    return model(**value.model_dump())


@dual
def send_input(
    run_input: Any, flow_run_id: Any, sender: str | None = None, key_prefix: str | None = None
) -> None:
    """Send `run_input` (a `RunInput`, a pydantic model, or a plain value such as a string) to
    flow run `flow_run_id`; `receive_input` of the same type there receives it."""
    send(flow_run_id, _as_run_input(run_input), sender, key_prefix)


def receive_input(
    input_type: Any,
    timeout: float | None = 3600,
    poll_interval: float = 10,
    raise_timeout_error: bool = False,
    exclude_keys: set[str] | None = None,
    key_prefix: str | None = None,
    flow_run_id: Any = None,
    with_metadata: bool = False,
) -> GetInputHandler[Any]:
    """The inputs of `input_type` sent to the flow run (the current one by default): for a
    `RunInput` or pydantic model its instances, for another type the values themselves (their
    model instances with ``with_metadata=True``)."""
    model = run_input_subclass_from_type(input_type)
    if issubclass(model, AutomaticRunInput):
        return model.receive(timeout, poll_interval, raise_timeout_error, exclude_keys,
                             key_prefix, flow_run_id, with_metadata)  # fmt: skip
    handler: GetInputHandler[Any] = cast("type[RunInput]", model).receive(
        timeout, poll_interval, raise_timeout_error, exclude_keys, key_prefix, flow_run_id
    )
    return handler


asend_input = async_form(send_input)  # the async form, always

__all__ = [
    "AutomaticRunInput",
    "BaseRunInput",
    "RunInput",
    "RunInputMetadata",
    "asend_input",
    "receive_input",
    "run_input_subclass_from_type",
    "send_input",
]
