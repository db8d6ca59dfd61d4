/**
 * Schema migrations, applied in order inside one immediate transaction. PRAGMA user_version
 * records how far a database has come; a database newer than this code is refused.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: tasks, dependencies, the append-only event log, runs and notes.
  `
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    spec TEXT,
    agent TEXT,
    role TEXT,
    scope TEXT NOT NULL DEFAULT '[]',
    needs TEXT NOT NULL DEFAULT '[]',
    verify TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    part_path TEXT,
    part_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    branch TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_changed_at TEXT NOT NULL
  );
  CREATE INDEX tasks_state ON tasks(state);
  CREATE TABLE deps (
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    dep_id TEXT NOT NULL,
    PRIMARY KEY (task_id, dep_id)
  );
  CREATE INDEX deps_dep ON deps(dep_id);
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    cause TEXT NOT NULL,
    actor TEXT NOT NULL,
    run_id TEXT,
    detail TEXT
  );
  CREATE INDEX events_task ON events(task_id, seq);
  -- The log is append-only: history is never rewritten, by Ballador or anyone with sqlite3.
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    attempt INTEGER NOT NULL,
    profile TEXT NOT NULL,
    status TEXT NOT NULL,
    worktree TEXT NOT NULL,
    branch TEXT NOT NULL,
    base TEXT NOT NULL,
    session TEXT NOT NULL,
    run_dir TEXT NOT NULL,
    supervisor_pid INTEGER,
    agent_pid INTEGER,
    created_worktree INTEGER NOT NULL DEFAULT 0,
    created_branch INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    exit_code INTEGER,
    outcome TEXT,
    detail TEXT
  );
  CREATE INDEX runs_task ON runs(task_id, started_at);
  CREATE INDEX runs_status ON runs(status);
  -- At most one live run per task, enforced by the database itself.
  CREATE UNIQUE INDEX runs_one_live ON runs(task_id) WHERE status IN ('provisioning', 'running');
  CREATE TABLE notes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    run_id TEXT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX notes_task ON notes(task_id, seq);
  `,
  // 2: verification results (flaky detection, briefs) and task artifacts (pull requests, merges).
  `
  CREATE TABLE verifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    run_id TEXT,
    commit_sha TEXT,
    kind TEXT NOT NULL,
    command TEXT,
    passed INTEGER NOT NULL,
    exit_code INTEGER,
    ms INTEGER NOT NULL,
    detail TEXT
  );
  CREATE INDEX verifications_task ON verifications(task_id, seq);
  CREATE TABLE artifacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL
  );
  CREATE INDEX artifacts_task ON artifacts(task_id, seq);
  `,
  // 3: provisioning runs inside each task's session (issue 11): the step it is at, and when
  // the agent itself started (provisioning is startedAt .. agentStartedAt).
  `
  ALTER TABLE runs ADD COLUMN phase TEXT;
  ALTER TABLE runs ADD COLUMN agent_started_at TEXT;
  -- What the watcher reads on every change, and reconcile's lookup of a stray session's last
  -- run: by index, not by scanning every task or every run.
  CREATE INDEX tasks_updated ON tasks(updated_at);
  CREATE INDEX runs_session ON runs(session, ended_at);
  -- What a clean or merge verification verified (see verificationKey): a result is reused only
  -- for an equal key.
  ALTER TABLE verifications ADD COLUMN key TEXT;
  CREATE INDEX verifications_key ON verifications(key) WHERE key IS NOT NULL;
  `,
  // 4: needs you (issue 15): since when the run's agent waits for a person, what it asked (the
  // agent's words: hostile, escaped wherever shown), and when Ballador nudged it.
  `
  ALTER TABLE runs ADD COLUMN waiting_since TEXT;
  ALTER TABLE runs ADD COLUMN waiting_for TEXT;
  ALTER TABLE runs ADD COLUMN nudged_at TEXT;
  `,
  // 5: cost (issue 15): a run's token usage per model, read from the agent's own session records
  // (a claim, not an observation), as JSON (core/usage.ts RunUsage); null when it keeps none.
  `
  ALTER TABLE runs ADD COLUMN usage TEXT;
  `,
  // 6: roles and pipelines (issue 16): the part's
  // pipeline as written (JSON: a name or a list of roles) and its pause_after; the stage the task
  // is at and the branch commit it started from; each run's stage (its role); every gate's result.
  `
  ALTER TABLE tasks ADD COLUMN pipeline TEXT;
  ALTER TABLE tasks ADD COLUMN pause_after TEXT;
  ALTER TABLE tasks ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN stage_start TEXT;
  ALTER TABLE runs ADD COLUMN stage TEXT;
  CREATE TABLE stage_gates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    run_id TEXT,
    stage INTEGER NOT NULL,
    role TEXT NOT NULL,
    passed INTEGER NOT NULL,
    start_commit TEXT,
    commit_sha TEXT,
    summary TEXT NOT NULL,
    checks TEXT NOT NULL DEFAULT '[]',
    files TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX stage_gates_task ON stage_gates(task_id, seq);
  `,
  // 7: per-launch budgets (issue 15): each downbeat (one `launch`, or one `launch --watch` and
  // all its waves) is a row with its budget; every run it started, and the supervisor's retries
  // of those, carries its id, so the launch's spend is the sum of their recorded usage.
  `
  CREATE TABLE launches (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    budget TEXT,
    spent_at TEXT,
    spent_reason TEXT
  );
  ALTER TABLE runs ADD COLUMN launch_id TEXT;
  CREATE INDEX runs_launch ON runs(launch_id) WHERE launch_id IS NOT NULL;
  `,
  // 8: a failed check's output where a reviewer looks (issue 28): the tail of a verification's
  // output (bounded, already escaped: core/check-output.ts checkTail) and the path of its whole log.
  `
  ALTER TABLE verifications ADD COLUMN tail TEXT;
  ALTER TABLE verifications ADD COLUMN log TEXT;
  `,
  // 9: dashboard sessions (issue 29), here rather than in the dashboard's memory so that the CLI
  // (`dashboard sessions --revoke`, `--rotate-token`) reaches the running server: one row per
  // running dashboard with the hash of its login token, one per browser session. Keys are
  // SHA-256 of the cookie: the store never holds a usable cookie or token. A person's note
  // records which session name wrote it.
  `
  CREATE TABLE dashboards (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    idle_ms INTEGER NOT NULL,
    token_hash TEXT NOT NULL
  );
  CREATE TABLE dashboard_sessions (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    dashboard TEXT NOT NULL,
    csrf TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    remote TEXT NOT NULL
  );
  CREATE INDEX dashboard_sessions_seen ON dashboard_sessions(dashboard, last_seen);
  ALTER TABLE notes ADD COLUMN author TEXT;
  `,
  // 10: task sources (issue 33): which issue each imported task came from (the source's name and
  // the tracker's opaque ref), the hash of the issue as last imported, and the tracker outbox:
  // one row per write, keyed by task and state, so each is sent once and retried until it is;
  // a sender leases a row while it sends, so two syncs at once do not both send it.
  `
  CREATE TABLE source_items (
    task_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    ref TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT,
    issue_hash TEXT NOT NULL,
    gone TEXT,
    UNIQUE (source, ref)
  );
  CREATE TABLE source_writes (
    key TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    source TEXT NOT NULL,
    ref TEXT NOT NULL,
    state TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,
    lease_until TEXT
  );
  CREATE INDEX source_writes_pending ON source_writes(source, sent_at);
  `,
  // 11: where a run lives (issue 32): the runner's name for a run on another machine, null at home.
  `
  ALTER TABLE runs ADD COLUMN runner TEXT;
  ALTER TABLE tasks ADD COLUMN runner TEXT;
  `,
  // 12: \`next\`'s pages (the first ready tasks by priority, the first queued by queue order) read
  // in index order instead of sorting every task of the state (spec 0017); (state, seq) serves
  // every look-up by state that tasks_state served.
  `
  DROP INDEX tasks_state;
  CREATE INDEX tasks_state_seq ON tasks(state, seq);
  CREATE INDEX tasks_state_priority ON tasks(state, priority DESC, seq);
  `,
];
