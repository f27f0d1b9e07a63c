"""The ``cadenza`` command line. Subcommands live in their own modules and load lazily."""

__all__: list[str] = []  # the modules of this package are its API
