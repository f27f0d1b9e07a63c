-- revision: 0016
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE flow_runs (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	flow_name TEXT NOT NULL, 
	flow_version TEXT, 
	parent_flow_run_id TEXT, 
	parent_task_run_id TEXT, 
	parameters TEXT DEFAULT '{}' NOT NULL, 
	tags TEXT DEFAULT '[]' NOT NULL, 
	state_type TEXT, 
	state_name TEXT, 
	state_message TEXT, 
	created REAL NOT NULL, 
	start_time REAL, 
	end_time REAL, 
	run_count INTEGER DEFAULT 0 NOT NULL, 
	result_ref TEXT, pid INTEGER, hostname TEXT, process_start TEXT, entrypoint TEXT, resumed_from TEXT, retries INTEGER DEFAULT 0 NOT NULL, lease_expires REAL, deployment_id TEXT, work_pool_name TEXT, work_queue_name TEXT, expected_start_time REAL, idempotency_key TEXT, auto_scheduled BOOLEAN DEFAULT 0 NOT NULL, schedule_id TEXT, job_variables TEXT, worker_name TEXT, warning_count INTEGER DEFAULT 0 NOT NULL, error_count INTEGER DEFAULT 0 NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_flow_runs_state_type ON flow_runs (state_type);
CREATE INDEX ix_flow_runs_created ON flow_runs (created);
CREATE INDEX ix_flow_runs_flow_name ON flow_runs (flow_name);
CREATE INDEX ix_flow_runs_parent_flow_run_id ON flow_runs (parent_flow_run_id);
CREATE TABLE task_runs (
	id TEXT NOT NULL, 
	flow_run_id TEXT, 
	name TEXT NOT NULL, 
	task_name TEXT NOT NULL, 
	task_key TEXT NOT NULL, 
	tags TEXT DEFAULT '[]' NOT NULL, 
	state_type TEXT, 
	state_name TEXT, 
	state_message TEXT, 
	created REAL NOT NULL, 
	start_time REAL, 
	end_time REAL, 
	run_count INTEGER DEFAULT 0 NOT NULL, 
	result_ref TEXT, 
	cache_key TEXT, retries INTEGER DEFAULT 0 NOT NULL, task_inputs TEXT, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_task_runs_state_type ON task_runs (state_type);
CREATE TABLE run_states (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	transition_id TEXT NOT NULL, 
	run_id TEXT NOT NULL, 
	flow_run_id TEXT, 
	type TEXT NOT NULL, 
	name TEXT NOT NULL, 
	message TEXT, 
	timestamp REAL NOT NULL, 
	details TEXT, 
	CONSTRAINT uq_run_states_run_transition UNIQUE (run_id, transition_id)
);
CREATE INDEX ix_run_states_flow_run_id ON run_states (flow_run_id);
CREATE TABLE logs (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	flow_run_id TEXT, 
	task_run_id TEXT, 
	level INTEGER NOT NULL, 
	logger TEXT NOT NULL, 
	message TEXT NOT NULL, 
	timestamp REAL NOT NULL
, uid TEXT);
CREATE TABLE cache_entries (
	"key" TEXT NOT NULL, 
	result_ref TEXT NOT NULL, 
	task_key TEXT, 
	task_run_id TEXT, 
	created REAL NOT NULL, 
	expiration REAL, 
	PRIMARY KEY ("key")
);
CREATE TABLE blocks (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	type_slug TEXT NOT NULL, 
	data TEXT DEFAULT '{}' NOT NULL, 
	schema_checksum TEXT NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_blocks_type_slug_name UNIQUE (type_slug, name)
);
CREATE TABLE artifacts (
	id TEXT NOT NULL, 
	"key" TEXT, 
	type TEXT NOT NULL, 
	description TEXT, 
	data TEXT NOT NULL, 
	flow_run_id TEXT, 
	task_run_id TEXT, 
	created REAL NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_artifacts_key_created ON artifacts ("key", created);
CREATE INDEX ix_artifacts_flow_run_id ON artifacts (flow_run_id);
CREATE TABLE variables (
	name TEXT NOT NULL, 
	value TEXT NOT NULL, 
	tags TEXT DEFAULT '[]' NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (name)
);
CREATE INDEX ix_flow_runs_lease_expires ON flow_runs (lease_expires);
CREATE INDEX ix_logs_flow_run_id_id ON logs (flow_run_id, id);
CREATE UNIQUE INDEX ux_logs_uid ON logs (uid);
CREATE INDEX ix_task_runs_flow_run_created ON task_runs (flow_run_id, created);
CREATE TABLE deployment_schedules (
	id TEXT NOT NULL, 
	deployment_id TEXT NOT NULL, 
	schedule TEXT NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	parameters TEXT DEFAULT '{}' NOT NULL, 
	slug TEXT, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_deployment_schedules_deployment_id ON deployment_schedules (deployment_id);
CREATE TABLE deployments (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	flow_name TEXT NOT NULL, 
	entrypoint TEXT, 
	path TEXT, 
	source TEXT, 
	parameters TEXT DEFAULT '{}' NOT NULL, 
	parameter_schema TEXT DEFAULT '{}' NOT NULL, 
	tags TEXT DEFAULT '[]' NOT NULL, 
	description TEXT, 
	version TEXT, 
	work_pool_name TEXT, 
	work_queue_name TEXT, 
	job_variables TEXT DEFAULT '{}' NOT NULL, 
	concurrency_limit INTEGER, 
	paused BOOLEAN DEFAULT 0 NOT NULL, 
	catchup BOOLEAN DEFAULT 0 NOT NULL, 
	late_after REAL DEFAULT 15 NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_deployments_flow_name_name UNIQUE (flow_name, name)
);
CREATE TABLE work_pools (
	name TEXT NOT NULL, 
	type TEXT DEFAULT 'process' NOT NULL, 
	description TEXT, 
	concurrency_limit INTEGER, 
	paused BOOLEAN DEFAULT 0 NOT NULL, 
	base_job_template TEXT DEFAULT '{}' NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE work_queues (
	id TEXT NOT NULL, 
	pool_name TEXT NOT NULL, 
	name TEXT NOT NULL, 
	priority INTEGER DEFAULT 1 NOT NULL, 
	concurrency_limit INTEGER, 
	paused BOOLEAN DEFAULT 0 NOT NULL, 
	description TEXT, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_work_queues_pool_name_name UNIQUE (pool_name, name)
);
CREATE TABLE workers (
	id TEXT NOT NULL, 
	pool_name TEXT NOT NULL, 
	name TEXT NOT NULL, 
	hostname TEXT, 
	pid INTEGER, 
	last_heartbeat REAL NOT NULL, 
	lease_expires REAL NOT NULL, 
	created REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_workers_pool_name_name UNIQUE (pool_name, name)
);
CREATE INDEX ix_flow_runs_deployment_id ON flow_runs (deployment_id);
CREATE INDEX ix_flow_runs_state_expected_start ON flow_runs (state_type, expected_start_time);
CREATE UNIQUE INDEX ux_flow_runs_idempotency_key ON flow_runs (idempotency_key);
CREATE TABLE automations (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	description TEXT, 
	enabled BOOLEAN DEFAULT 1 NOT NULL, 
	"trigger" TEXT NOT NULL, 
	actions TEXT DEFAULT '[]' NOT NULL, 
	evaluation TEXT DEFAULT '{}' NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE concurrency_leases (
	id TEXT NOT NULL, 
	limit_name TEXT NOT NULL, 
	slots INTEGER NOT NULL, 
	decaying BOOLEAN DEFAULT 0 NOT NULL, 
	holder TEXT DEFAULT '{}' NOT NULL, 
	expires REAL NOT NULL, 
	created REAL NOT NULL, 
	PRIMARY KEY (id, limit_name)
);
CREATE INDEX ix_concurrency_leases_expires ON concurrency_leases (expires);
CREATE INDEX ix_concurrency_leases_limit_name ON concurrency_leases (limit_name);
CREATE TABLE concurrency_limits (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	slot_limit INTEGER NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	slot_decay_per_second REAL DEFAULT 0 NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE TABLE events (
	seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	id TEXT NOT NULL, 
	occurred REAL NOT NULL, 
	event TEXT NOT NULL, 
	resource_id TEXT NOT NULL, 
	resource TEXT DEFAULT '{}' NOT NULL, 
	related TEXT DEFAULT '[]' NOT NULL, 
	payload TEXT DEFAULT '{}' NOT NULL, 
	UNIQUE (id)
);
CREATE INDEX ix_events_event ON events (event);
CREATE INDEX ix_events_occurred ON events (occurred);
CREATE INDEX ix_events_resource_id ON events (resource_id);
CREATE TABLE flow_run_inputs (
	id TEXT NOT NULL, 
	flow_run_id TEXT NOT NULL, 
	"key" TEXT NOT NULL, 
	value TEXT NOT NULL, 
	sender TEXT, 
	created REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_flow_run_inputs_flow_run_id_key UNIQUE (flow_run_id, "key")
);
CREATE INDEX ix_flow_runs_deployment_created ON flow_runs (deployment_id, created, id);
CREATE INDEX ix_flow_runs_flow_created ON flow_runs (flow_name, created, id);
CREATE INDEX ix_flow_runs_state_created ON flow_runs (state_type, created, id);
CREATE TABLE saved_views (
	id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	page TEXT NOT NULL, 
	"query" TEXT DEFAULT '{}' NOT NULL, 
	is_default BOOLEAN DEFAULT 0 NOT NULL, 
	created REAL NOT NULL, 
	updated REAL NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_saved_views_name UNIQUE (name)
);
CREATE UNIQUE INDEX ux_saved_views_default_page ON saved_views (page) WHERE is_default;
CREATE TABLE service_leases (
	name TEXT NOT NULL, 
	holder TEXT NOT NULL, 
	host TEXT, 
	pid INTEGER, 
	expires REAL NOT NULL, 
	acquired REAL NOT NULL, 
	PRIMARY KEY (name)
);
CREATE INDEX ix_flow_runs_flow_state ON flow_runs (flow_name, state_type);
INSERT INTO alembic_version (version_num) VALUES ('0016');
