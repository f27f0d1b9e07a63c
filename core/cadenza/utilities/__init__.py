"""The `prefect.utilities.*` helpers that user code imports, at the same paths:
``cadenza.utilities.annotations``, ``.asyncutils``, ``.collections`` and ``.hashing``.

They re-export cadenza's own objects where it has them (the annotations are the ones the engine
understands) and are small helpers otherwise."""

__all__: list[str] = []  # the modules of this package are its API
