"""The `cadenza` entry point of cadenza-ray (``[project.entry-points.cadenza] ray``).

Imported when cadenza loads its plugins, so it imports nothing but the `hookimpl` marker: the
runner (and through it ray, which it imports only when it starts) is imported inside the hook.
"""

from cadenza import hookimpl

#: The cadenza versions this plugin works with (a PEP 440 specifier set).
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_task_runners() -> list[type]:
    from cadenza_ray import RayTaskRunner

    return [RayTaskRunner]
