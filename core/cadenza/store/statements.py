"""The embedded writer's SQL, generated from `cadenza.store.tables`: do not edit by hand.

Regenerate with ``python -m cadenza.store.generate`` (which also writes ``schema.sql``; see
docs/howto/change-the-schema.md). ``tests/store/test_statements.py`` fails while this file
differs from what the tables give. ``<NAME>_PARAMS`` is the order of ``<NAME>``'s ``?``
parameters: a row executed with ``<NAME>`` holds those columns' values in that order.
No imports: the embedded backend reads it without SQLAlchemy.
"""

UPSERT_FLOW_RUN = (
    "INSERT INTO flow_runs (id, name, flow_name, flow_version, parent_flow_run_id, "
    "parent_task_run_id, parameters, tags, state_type, state_name, state_message, created, "
    "start_time, end_time, run_count, result_ref, pid, hostname, process_start, entrypoint, "
    "resumed_from, retries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?) ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, state_type = "
    "excluded.state_type, state_name = excluded.state_name, state_message = "
    "excluded.state_message, start_time = excluded.start_time, end_time = excluded.end_time, "
    "run_count = excluded.run_count, result_ref = excluded.result_ref, pid = excluded.pid, "
    "hostname = excluded.hostname, process_start = excluded.process_start, entrypoint = "
    "coalesce(excluded.entrypoint, flow_runs.entrypoint)"
)
UPSERT_FLOW_RUN_PARAMS = (
    "id",
    "name",
    "flow_name",
    "flow_version",
    "parent_flow_run_id",
    "parent_task_run_id",
    "parameters",
    "tags",
    "state_type",
    "state_name",
    "state_message",
    "created",
    "start_time",
    "end_time",
    "run_count",
    "result_ref",
    "pid",
    "hostname",
    "process_start",
    "entrypoint",
    "resumed_from",
    "retries",
)

UPSERT_TASK_RUN = (
    "INSERT INTO task_runs (id, flow_run_id, name, task_name, task_key, tags, state_type, "
    "state_name, state_message, created, start_time, end_time, run_count, result_ref, "
    "cache_key, retries, task_inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?) ON CONFLICT (id) DO UPDATE SET state_type = excluded.state_type, state_name = "
    "excluded.state_name, state_message = excluded.state_message, start_time = "
    "excluded.start_time, end_time = excluded.end_time, run_count = excluded.run_count, "
    "result_ref = excluded.result_ref, cache_key = excluded.cache_key"
)
UPSERT_TASK_RUN_PARAMS = (
    "id",
    "flow_run_id",
    "name",
    "task_name",
    "task_key",
    "tags",
    "state_type",
    "state_name",
    "state_message",
    "created",
    "start_time",
    "end_time",
    "run_count",
    "result_ref",
    "cache_key",
    "retries",
    "task_inputs",
)

INSERT_STATE = (
    "INSERT OR IGNORE INTO run_states (transition_id, run_id, flow_run_id, type, name, "
    "message, timestamp, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_STATE_PARAMS = (
    "transition_id",
    "run_id",
    "flow_run_id",
    "type",
    "name",
    "message",
    "timestamp",
    "details",
)

UPSERT_CACHE = (
    'INSERT OR REPLACE INTO cache_entries ("key", result_ref, task_key, task_run_id, created,'
    " expiration) VALUES (?, ?, ?, ?, ?, ?)"
)
UPSERT_CACHE_PARAMS = (
    "key",
    "result_ref",
    "task_key",
    "task_run_id",
    "created",
    "expiration",
)

INSERT_ARTIFACT = (
    'INSERT OR IGNORE INTO artifacts (id, "key", type, description, data, flow_run_id, '
    "task_run_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ARTIFACT_PARAMS = (
    "id",
    "key",
    "type",
    "description",
    "data",
    "flow_run_id",
    "task_run_id",
    "created",
)

UPDATE_ARTIFACT = (
    "UPDATE artifacts SET data=?, description=coalesce(?, artifacts.description) WHERE "
    "artifacts.id = ? AND artifacts.type = 'progress'"
)
UPDATE_ARTIFACT_PARAMS = (
    "data",
    "description",
    "id",
)

INSERT_LOG = (
    "INSERT INTO logs (flow_run_id, task_run_id, level, logger, message, timestamp, uid) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_LOG_PARAMS = (
    "flow_run_id",
    "task_run_id",
    "level",
    "logger",
    "message",
    "timestamp",
    "uid",
)

INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, occurred, event, resource_id, resource, related, "
    "payload) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT_PARAMS = (
    "id",
    "occurred",
    "event",
    "resource_id",
    "resource",
    "related",
    "payload",
)

LOG_FLOOR = "SELECT coalesce(max(logs.id), 0) AS coalesce_1 FROM logs"
LOG_FLOOR_PARAMS = ()

COUNT_LOGS = (
    "UPDATE flow_runs SET warning_count=(flow_runs.warning_count + (SELECT count(*) AS "
    "count_1 FROM logs WHERE logs.flow_run_id = flow_runs.id AND logs.id > ? AND logs.level "
    ">= 30)), error_count=(flow_runs.error_count + (SELECT count(*) AS count_2 FROM logs "
    "WHERE logs.flow_run_id = flow_runs.id AND logs.id > ? AND logs.level >= 40)) WHERE "
    "flow_runs.id IN (SELECT logs.flow_run_id FROM logs WHERE logs.id > ? AND logs.level >= "
    "30)"
)
COUNT_LOGS_PARAMS = (
    "after",
    "after",
    "after",
)

CRASH_FLOW_RUN = (
    "UPDATE flow_runs SET state_type='CRASHED', state_name='Crashed', state_message=?, "
    "end_time=? WHERE flow_runs.id = ?"
)
CRASH_FLOW_RUN_PARAMS = (
    "state_message",
    "end_time",
    "id",
)

CRASH_TASK_RUN = (
    "UPDATE task_runs SET state_type='CRASHED', state_name='Crashed', state_message=?, "
    "end_time=? WHERE task_runs.id = ?"
)
CRASH_TASK_RUN_PARAMS = (
    "state_message",
    "end_time",
    "id",
)

INSERT_CRASH_STATE = (
    "INSERT INTO run_states (transition_id, run_id, flow_run_id, type, name, message, "
    "timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_CRASH_STATE_PARAMS = (
    "transition_id",
    "run_id",
    "flow_run_id",
    "type",
    "name",
    "message",
    "timestamp",
)


__all__ = [
    "COUNT_LOGS",
    "COUNT_LOGS_PARAMS",
    "CRASH_FLOW_RUN",
    "CRASH_FLOW_RUN_PARAMS",
    "CRASH_TASK_RUN",
    "CRASH_TASK_RUN_PARAMS",
    "INSERT_ARTIFACT",
    "INSERT_ARTIFACT_PARAMS",
    "INSERT_CRASH_STATE",
    "INSERT_CRASH_STATE_PARAMS",
    "INSERT_EVENT",
    "INSERT_EVENT_PARAMS",
    "INSERT_LOG",
    "INSERT_LOG_PARAMS",
    "INSERT_STATE",
    "INSERT_STATE_PARAMS",
    "LOG_FLOOR",
    "LOG_FLOOR_PARAMS",
    "UPDATE_ARTIFACT",
    "UPDATE_ARTIFACT_PARAMS",
    "UPSERT_CACHE",
    "UPSERT_CACHE_PARAMS",
    "UPSERT_FLOW_RUN",
    "UPSERT_FLOW_RUN_PARAMS",
    "UPSERT_TASK_RUN",
    "UPSERT_TASK_RUN_PARAMS",
]
