"""import_time: wall time of importing the package, over a bare interpreter start.

Runs ``python -c pass``, ``python -c "import X"`` and ``python -c "from X import flow, task"``
interleaved (one of each per round, so drift hits all alike), takes each median and subtracts
the bare one. One untimed warm-up round first so bytecode caches exist.
"""

from __future__ import annotations

from harness import (
    CADENZA_TIMEOUT,
    PREFECT_TIMEOUT,
    BenchResult,
    Config,
    Row,
    Target,
    cadenza_env,
    median,
    prefect_cell,
    prefect_env,
    ratio,
    run,
    temp_home,
)

NAME = "import_time"
LIMIT_MS = 60.0
MIN_RATIO = 15.0


def _commands(python: str, package: str) -> dict[str, list[str]]:
    return {
        "bare": [python, "-c", "pass"],
        "import": [python, "-c", f"import {package}"],
        "from": [python, "-c", f"from {package} import flow, task"],
    }


def _measure(
    python: str, package: str, env: dict[str, str], rounds: int, timeout: float
) -> dict[str, float]:
    """Median wall seconds of each command over `rounds` interleaved rounds."""
    cmds = _commands(python, package)
    for cmd in cmds.values():  # warm-up: compile .pyc files, prime the page cache
        run(cmd, env, timeout)
    samples: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(rounds):
        for key, cmd in cmds.items():
            samples[key].append(run(cmd, env, timeout).wall)
    return {k: median(v) for k, v in samples.items()}


def _over_bare_ms(medians: dict[str, float]) -> dict[str, float]:
    return {k: (medians[k] - medians["bare"]) * 1e3 for k in ("import", "from")}


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    rounds = 5 if cfg.quick else 15
    res.data["rounds"] = rounds
    cad: dict[str, float] | None = None
    pre: dict[str, float] | None = None
    with temp_home("cadenza") as home:
        try:
            medians = _measure(
                cfg.cadenza_python, "cadenza", cadenza_env(home), rounds, CADENZA_TIMEOUT
            )
            cad = _over_bare_ms(medians)
            res.data["cadenza"] = {"median_s": medians, "over_bare_ms": cad}
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
    if cfg.prefect_python:
        prounds = 3 if cfg.quick else rounds
        with temp_home("prefect") as home:
            try:
                medians = _measure(
                    cfg.prefect_python, "prefect", prefect_env(home), prounds, PREFECT_TIMEOUT
                )
                pre = _over_bare_ms(medians)
                res.data["prefect"] = {"median_s": medians, "over_bare_ms": pre, "rounds": prounds}
            except Exception as exc:
                res.data["prefect_error"] = str(exc)

    labels = {"import": "import X  (ms over bare)", "from": "from X import flow, task  (ms)"}
    for key, label in labels.items():
        c = cad[key] if cad else None
        p: float | str | None = pre[key] if pre else prefect_cell(cfg, "prefect_error" in res.data)
        r = ratio(pre[key], c) if pre else None
        res.rows.append(Row(label, c, p, r, "{:.1f}"))
        res.targets.append(Target(f"{key}: cadenza over bare", c, LIMIT_MS, "<=", "ms"))
        res.targets.append(
            Target(
                f"{key}: prefect/cadenza",
                r,
                MIN_RATIO,
                ">=",
                "x",
                skipped=None if pre else "prefect not measured",
            )
        )
    return res
