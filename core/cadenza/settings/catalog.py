"""The catalog: every cadenza setting, declared once (see `cadenza.settings.spec`)."""

from __future__ import annotations

from pathlib import Path

from cadenza.settings.declaration import Setting

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CADENZA_HOME",
        Path,
        Path("~/.cadenza"),
        "Directory holding the embedded database, results, keys and profiles.toml.",
        in_profile=False,
    ),
    Setting(
        "CADENZA_PROFILE",
        str,
        "default",
        "Name of the active profile in profiles.toml.",
        in_profile=False,
    ),
    Setting(
        "CADENZA_API_URL",
        str,
        None,
        "URL of a cadenza server; unset means record runs in the embedded database.",
        optional=True,
    ),
    Setting(
        "CADENZA_API_KEY", str, None, "API key sent to the server.", optional=True, secret=True
    ),
    Setting(
        "CADENZA_API_REQUEST_TIMEOUT",
        float,
        60.0,
        "Seconds a client waits for the server's answer to one request (connecting waits at "
        "most 10). A server that took the request but is slow to answer is busy, not gone: "
        "under load a batch waits its turn behind every other process's writes, and a request "
        "given up early is sent again, adding to that load.",
        minimum=0.1,
    ),
    Setting(
        "CADENZA_LOGGING_LEVEL",
        str,
        "INFO",
        "Level of run logs that are recorded and echoed.",
        choices=LOG_LEVELS,
    ),
    Setting("CADENZA_LOGGING_CONSOLE", bool, True, "Echo run logs to the console."),
    Setting(
        "CADENZA_LOGGING_TRACEBACK",
        str,
        "short",
        "Frames shown in the traceback of a failure: `short` shows the user's frames only, "
        "`full` also cadenza's own.",
        choices=("SHORT", "FULL"),
    ),
    Setting(
        "CADENZA_LOGGING_EXTRA_LOGGERS",
        str,
        None,
        "Comma-separated names of other libraries' loggers whose lines, logged while a run "
        "runs, are recorded with that run (Prefect's PREFECT_LOGGING_EXTRA_LOGGERS).",
        optional=True,
    ),
    Setting(
        "CADENZA_CLIENT_OFFLINE_OK",
        bool,
        False,
        "Accept that runs are recorded only to the local journal while the server is "
        "unreachable: a flow call (and `cadenza run`) then succeeds instead of failing with "
        "ServerUnreachable at its end.",
    ),
    Setting(
        "CADENZA_CLI_PROGRESS",
        bool,
        True,
        "Show live progress (task runs done, failed, running) while `cadenza run` runs on a "
        "terminal.",
    ),
    Setting(
        "CADENZA_FLUSH_INTERVAL",
        float,
        0.05,
        "Batch window of the embedded record writer, in seconds.",
        minimum=0.0,
    ),
    Setting(
        "CADENZA_SQLITE_SYNCHRONOUS",
        str,
        "NORMAL",
        "SQLite's `synchronous` level for the embedded record: NORMAL keeps every commit through "
        "a killed process and loses at most the last ones on a power cut; FULL also survives a "
        "power cut, at one fsync per commit.",
        choices=("NORMAL", "FULL"),
    ),
    Setting(
        "CADENZA_HEARTBEAT_INTERVAL",
        float,
        30.0,
        "Seconds between a process's heartbeats for its flow runs on a server. Each renews a "
        "lease of twice this; a run whose lease expires is marked Crashed by the server.",
        minimum=0.1,
    ),
    Setting(
        "CADENZA_SERVER_REAPER_INTERVAL",
        float,
        5.0,
        "Seconds between the server's checks for flow runs whose lease expired.",
        minimum=0.05,
    ),
    Setting(
        "CADENZA_SERVER_SERVICE_LEASE",
        float,
        15.0,
        "Seconds a server process holds the lease of a singleton service (scheduler, reaper, "
        "retention, automations) without renewing it; with several server processes on one "
        "database, another takes a service over this long after its holder died.",
        minimum=0.3,
    ),
    Setting(
        "CADENZA_SERVER_DB_POOL_SIZE",
        int,
        5,
        "Database connections each server process keeps open on PostgreSQL (SQLAlchemy's "
        "pool_size); with N processes the database sees up to N x (this + the overflow).",
        minimum=1,
    ),
    Setting(
        "CADENZA_SERVER_DB_MAX_OVERFLOW",
        int,
        10,
        "Further PostgreSQL connections a server process opens under load and closes after "
        "(SQLAlchemy's max_overflow).",
        minimum=0,
    ),
    Setting(
        "CADENZA_SERVER_DB_PREPARED_STATEMENTS",
        bool,
        True,
        "Let the PostgreSQL driver prepare the statements a connection repeats. Turn off behind "
        "a pooler in transaction mode that does not track prepared statements (PgBouncer "
        "before 1.21, or without max_prepared_statements).",
    ),
    Setting(
        "CADENZA_SERVER_SCHEDULER_INTERVAL",
        float,
        5.0,
        "Seconds between the scheduler's rounds: creating deployments' next runs and marking "
        "late ones (runs are created ahead, so a run starts on time whatever this is).",
        minimum=0.05,
    ),
    Setting(
        "CADENZA_SERVER_METRICS_OPEN",
        bool,
        False,
        "Answer GET /metrics without the API key even when CADENZA_SERVER_API_KEY is set, for "
        "a scraper that cannot send one (the metrics name flows, work pools and concurrency "
        "limits and count runs; they hold no run data).",
    ),
    Setting(
        "CADENZA_RETENTION_FLOW_RUNS",
        str,
        "off",
        "How long finished flow runs are kept (e.g. 90d, 12h, or seconds), with their subflow "
        "runs, task runs, states, logs, artifacts and inputs; 0 or off: forever.",
    ),
    Setting(
        "CADENZA_RETENTION_LOGS",
        str,
        "30d",
        "How long log lines are kept (lines of runs not yet finished stay); 0 or off: forever.",
    ),
    Setting(
        "CADENZA_RETENTION_EVENTS",
        str,
        "7d",
        "How long events are kept; 0 or off: forever.",
    ),
    Setting(
        "CADENZA_RETENTION_ARTIFACTS",
        str,
        "off",
        "How long artifacts are kept (those of runs not yet finished stay); 0 or off: forever.",
    ),
    Setting(
        "CADENZA_RETENTION_INTERVAL",
        float,
        3600.0,
        "Seconds between the server's retention rounds, which apply the CADENZA_RETENTION_* "
        "TTLs (`cadenza db clean` applies them on demand).",
        minimum=0.05,
    ),
    Setting(
        "CADENZA_SERVER_AUTOMATIONS_INTERVAL",
        float,
        1.0,
        "Seconds between the automation service's rounds: reading new events, evaluating the "
        "automations' triggers and starting their actions (how soon an automation fires).",
        minimum=0.05,
    ),
    Setting(
        "CADENZA_WORKER_POLL_INTERVAL",
        float,
        1.0,
        "Seconds a worker or `serve` process waits between asks for due runs (it also wakes at "
        "the next run's scheduled time, so scheduled runs start on time).",
        minimum=0.01,
    ),
    Setting(
        "CADENZA_CANCELLATION_POLL_INTERVAL",
        float,
        0.5,
        "Seconds between a running process's looks at the recorded state of its flow runs: how "
        "soon it sees `cadenza runs cancel` (it then stops them and reports them Cancelled).",
        minimum=0.01,
    ),
    Setting(
        "CADENZA_CANCELLATION_GRACE",
        float,
        30.0,
        "Seconds a process has to acknowledge a cancellation. After that its worker kills it and "
        "the server (or `cadenza runs cancel` on the embedded record) marks the run Cancelled.",
        minimum=0.0,
    ),
    Setting(
        "CADENZA_CONCURRENCY_LEASE_SECONDS",
        float,
        30.0,
        "Seconds a concurrency slot stays held unrenewed: its holder renews it every third of "
        "this, and a holder that dies frees its slots this long after its last renewal.",
        minimum=0.1,
    ),
    Setting(
        "CADENZA_RESULTS_PERSIST_BY_DEFAULT",
        bool,
        False,
        "Persist task and flow results unless a task says otherwise.",
    ),
    Setting(
        "CADENZA_RESULTS_PERSIST_FOR_RESUME",
        str,
        "on-failure",
        "When results that were not persisted are saved so that `cadenza runs resume` need not "
        "run their tasks again: `on-failure` (kept in memory, saved when the flow run ends "
        "Failed, Crashed or Cancelled), `each-task` (saved as each task completes, so a process "
        "killed with SIGKILL loses none; deleted when the flow run completes) or `off`.",
        choices=("ON-FAILURE", "EACH-TASK", "OFF"),
    ),
    Setting(
        "CADENZA_RESULTS_DEFAULT_SERIALIZER",
        str,
        "cloudpickle",
        "Serializer of persisted results when a task or flow does not set `result_serializer`.",
        choices=("PICKLE", "CLOUDPICKLE", "JSON"),
    ),
    Setting(
        "CADENZA_RESULTS_DEFAULT_STORAGE",
        str,
        None,
        "Storage of persisted results when a task or flow does not set `result_storage`: a "
        "filesystem path (or a saved block name, `type-slug/name`); unset means local storage.",
        optional=True,
    ),
    Setting(
        "CADENZA_LOCAL_STORAGE_PATH",
        Path,
        None,
        "Base directory of the default local result storage; unset means $CADENZA_HOME/storage.",
        optional=True,
    ),
    Setting(
        "CADENZA_RESULTS_SIGNING_KEY",
        str,
        None,
        "Hex key signing stored results (HMAC-SHA256); unset means the key kept in "
        "$CADENZA_HOME/result-signing.key, created on first use.",
        optional=True,
        secret=True,
    ),
    Setting(
        "CADENZA_ENCRYPTION_KEY",
        str,
        None,
        "Fernet key encrypting the secret fields of saved blocks; unset means the key kept in "
        "$CADENZA_HOME/key, created on first use.",
        optional=True,
        secret=True,
    ),
    Setting(
        "CADENZA_TASK_DEFAULT_RETRIES",
        int,
        0,
        "Retries of a task that does not set `retries`.",
        minimum=0,
    ),
    Setting(
        "CADENZA_TASK_DEFAULT_RETRY_DELAY_SECONDS",
        float,
        0.0,
        "Delay between retries of a task that does not set `retry_delay_seconds`.",
        minimum=0.0,
    ),
    Setting(
        "CADENZA_FLOW_DEFAULT_RETRIES",
        int,
        0,
        "Retries of a flow that does not set `retries`.",
        minimum=0,
    ),
    Setting(
        "CADENZA_PLUGINS_AUTOLOAD",
        bool,
        True,
        "Discover plugins from installed distributions' `cadenza` entry points.",
    ),
    Setting(
        "CADENZA_PLUGINS_ALLOW",
        str,
        None,
        "Comma-separated entry point names: load only these plugins; unset means all.",
        optional=True,
    ),
    Setting(
        "CADENZA_PLUGINS_DENY",
        str,
        None,
        "Comma-separated entry point names of plugins not to load.",
        optional=True,
    ),
)


__all__ = ["LOG_LEVELS", "SETTINGS"]
