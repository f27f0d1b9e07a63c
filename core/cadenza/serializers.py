"""Result serializers: ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj``, named by ``type``.

Built in: ``"cloudpickle"`` (the default; imported only when used), ``"pickle"`` and ``"json"``
(plain `json`, UTF-8; a value JSON cannot represent is a `SerializationError`, never a silent
``repr``). Any object with ``dumps`` and ``loads`` methods can be passed as ``result_serializer``;
to load its results in another process, either register it by name (with `register_serializer`,
or from a plugin's ``register_serializers`` hook) or make its class importable and constructible
without arguments (it is recorded as ``"module:QualName"``).
"""

from __future__ import annotations

from typing import Any

from cadenza import registries
from cadenza.exceptions import SerializationError
from cadenza.settings import spec

_REGISTRY: dict[str, Any] = {}


class Serializer:
    """The base of serializers (Prefect's name): a subclass with a ``type`` name, ``dumps`` and
    ``loads`` is registered under that name when it is defined, so ``result_serializer="name"``
    selects it and results it wrote load in any process that defines it. Subclassing is
    optional: any object with ``dumps`` and ``loads`` serves as a serializer."""

    type: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type")
        if not isinstance(name, str) or not name:
            return
        current = _REGISTRY.get(name.lower())
        if current is not None and (current.__module__, current.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):  # the same class defined again (a reloaded module, a notebook cell) replaces itself
            raise ValueError(
                f"A result serializer named {name!r} is already registered: {current!r}"
            )
        _REGISTRY[name.lower()] = cls

    def dumps(self, obj: Any) -> bytes:
        raise NotImplementedError

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError


class PickleSerializer(Serializer):
    """The standard library's `pickle` (highest protocol)."""

    type = "pickle"

    def dumps(self, obj: Any) -> bytes:
        import pickle

        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def loads(self, data: bytes) -> Any:
        import pickle

        return pickle.loads(data)


class CloudPickleSerializer(Serializer):
    """`cloudpickle`: also handles lambdas, closures and classes defined in ``__main__``."""

    type = "cloudpickle"

    def dumps(self, obj: Any) -> bytes:
        import cloudpickle

        data: bytes = cloudpickle.dumps(obj)
        return data

    def loads(self, data: bytes) -> Any:
        import pickle  # cloudpickle output is plain pickle data

        return pickle.loads(data)


class JSONSerializer(Serializer):
    """Plain `json`; only JSON values (dict with str keys, list, str, number, bool, None)."""

    type = "json"

    def dumps(self, obj: Any) -> bytes:
        import json

        try:
            return json.dumps(obj, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise SerializationError(
                f"The json result serializer cannot serialize a {type(obj).__name__} value: "
                f"{exc}; return JSON values or use result_serializer='cloudpickle'"
            ) from None

    def loads(self, data: bytes) -> Any:
        import json

        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SerializationError(f"The stored result is not valid JSON: {exc}") from None


_COMPRESSORS = ("lzma", "zlib", "bz2", "gzip")


class CompressedSerializer(Serializer):
    """Another serializer's bytes, compressed (Prefect's ``compressed/pickle`` and
    ``compressed/json``): ``serializer`` is a serializer or its name, ``compressionlib`` one of
    lzma (the default), zlib, bz2, gzip. Worth it for large, repetitive results."""

    def __init__(self, serializer: Any = "cloudpickle", compressionlib: str = "lzma") -> None:
        if compressionlib not in _COMPRESSORS:
            raise ValueError(
                f"compressionlib must be one of {', '.join(_COMPRESSORS)}, not {compressionlib!r}"
            )
        self.serializer = get_serializer(serializer)
        self.compressionlib = compressionlib
        if "type" not in type(self).__dict__:  # the name its results are recorded under
            lib = "" if compressionlib == "lzma" else f"+{compressionlib}"
            self.type = f"compressed/{serializer_name(self.serializer)}{lib}"

    def _lib(self) -> Any:
        from importlib import import_module

        return import_module(self.compressionlib)

    def dumps(self, obj: Any) -> bytes:
        data: bytes = self._lib().compress(self.serializer.dumps(obj))
        return data

    def loads(self, data: bytes) -> Any:
        try:
            raw = self._lib().decompress(data)
        except Exception as exc:
            raise SerializationError(
                f"The stored result is not {self.compressionlib} data: {exc}"
            ) from None
        return self.serializer.loads(raw)


class CompressedPickleSerializer(CompressedSerializer):
    """``compressed/pickle``: cloudpickle, compressed with lzma."""

    type = "compressed/pickle"

    def __init__(self) -> None:
        super().__init__("cloudpickle", "lzma")


class CompressedJSONSerializer(CompressedSerializer):
    """``compressed/json``: JSON, compressed with lzma."""

    type = "compressed/json"

    def __init__(self) -> None:
        super().__init__("json", "lzma")


def register_serializer(name: str, factory: Any) -> None:
    """Make ``factory()`` the serializer named ``name`` (as ``result_serializer=name``, and when
    loading results written with it). A different factory under a taken name is a `ValueError`."""
    key = name.strip().lower()
    current = _REGISTRY.get(key)
    if current is not None and current is not factory:
        raise ValueError(f"A result serializer named {name!r} is already registered: {current!r}")
    _REGISTRY[key] = factory


def _factory(name: str) -> Any:
    """The factory registered as ``name`` directly, else by a plugin's ``register_serializers``
    hook (the plugin registry loads only for a name not registered directly); None if neither."""
    key = name.strip().lower()
    factory = _REGISTRY.get(key)
    if factory is None:
        factory = registries.contributed("serializers").get(key)
    if factory is None and key.startswith("compressed/"):  # compressed/<inner>[+<lib>]
        inner, _, lib = name.strip()[len("compressed/") :].partition("+")
        if lib in ("", *_COMPRESSORS):
            return lambda: CompressedSerializer(serializer_by_name(inner), lib or "lzma")
    return factory


def _known() -> str:
    return ", ".join(sorted({*_REGISTRY, *registries.contributed("serializers")}))


def get_serializer(value: Any = None) -> Any:
    """The serializer for a ``result_serializer`` option: None (the settings default,
    ``CADENZA_RESULTS_DEFAULT_SERIALIZER``), a registered name, or a serializer object."""
    if value is None:
        value = spec.get("CADENZA_RESULTS_DEFAULT_SERIALIZER")
    if isinstance(value, str):
        factory = _factory(value)
        if factory is None:
            raise ValueError(f"Unknown result serializer {value!r}; known: {_known()}")
        return factory()
    if callable(getattr(value, "dumps", None)) and callable(getattr(value, "loads", None)):
        return value
    raise TypeError(
        f"result_serializer must be a serializer name or an object with dumps() and loads(), "
        f"got {value!r}"
    )


def serializer_name(serializer: Any) -> str:
    """The name recorded with a stored result, from which `serializer_by_name` rebuilds it."""
    name = getattr(serializer, "type", None)
    if isinstance(name, str) and _factory(name) is not None:
        return name.lower()
    cls = type(serializer)
    return f"{cls.__module__}:{cls.__qualname__}"


def serializer_by_name(name: str) -> Any:
    """The serializer a stored result names: a registered name, or ``"module:QualName"``."""
    factory = _REGISTRY.get(name.lower())
    if factory is None and name.lower().startswith("compressed/"):
        factory = _factory(name)  # before "module:QualName": the inner name may be one
    if factory is not None:
        return factory()
    module, sep, qualname = name.partition(":")
    if not sep:
        factory = _factory(name)
        if factory is None:
            raise SerializationError(f"Unknown result serializer {name!r}; known: {_known()}")
        return factory()
    try:
        from importlib import import_module

        obj: Any = import_module(module)
        for attr in qualname.split("."):
            obj = getattr(obj, attr)
        return obj()
    except Exception as exc:
        raise SerializationError(
            f"Cannot rebuild the result serializer {name!r}: {type(exc).__name__}: {exc}; "
            "register it with cadenza.serializers.register_serializer()"
        ) from None


__all__ = [
    "CloudPickleSerializer",
    "CompressedJSONSerializer",
    "CompressedPickleSerializer",
    "CompressedSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "SerializationError",
    "Serializer",
    "get_serializer",
    "register_serializer",
    "serializer_by_name",
    "serializer_name",
]
