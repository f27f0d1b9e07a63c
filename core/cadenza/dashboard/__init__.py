"""The web dashboard: a static single-page app (``static/``) that reads only the ``/api`` routes,
served by the server's own app (`cadenza.dashboard.serve`). See docs/dashboard.md."""

__all__: list[str] = []  # the modules of this package are its API
