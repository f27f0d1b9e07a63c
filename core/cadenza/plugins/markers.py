"""The two pluggy markers of the ``"cadenza"`` project; a plugin needs only `hookimpl`."""

import pluggy

hookspec = pluggy.HookspecMarker("cadenza")
hookimpl = pluggy.HookimplMarker("cadenza")


__all__ = ["hookimpl", "hookspec"]
