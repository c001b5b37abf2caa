/**
 * The registry's DDL, as versioned migrations. Tables are STRICT so a wrong type fails the
 * write instead of being stored silently; foreign keys tie every row to its table.
 *
 * Snapshot ids are Iceberg 64-bit longs: they are stored as decimal TEXT because a JSON image
 * or a JS number would lose their low bits (ids above 2^53 are the norm, they are random).
 * Timestamps are UTC ISO-8601 strings with milliseconds (`2026-01-02T03:04:05.678Z`).
 */

/** The SQL expression every timestamp default and trigger uses: UTC, millisecond precision. */
export const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

const now = `(${NOW_SQL})`;

const initial: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS namespaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    properties_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT ${now},
    updated_at TEXT NOT NULL DEFAULT ${now}
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS tables (
    id INTEGER PRIMARY KEY,
    namespace_id INTEGER NOT NULL REFERENCES namespaces(id),
    name TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    location TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'dropped')),
    row_count INTEGER NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    total_size INTEGER NOT NULL DEFAULT 0 CHECK (total_size >= 0),
    file_count INTEGER NOT NULL DEFAULT 0 CHECK (file_count >= 0),
    last_modified TEXT,
    metadata_location TEXT,
    metadata_version INTEGER,
    current_snapshot_id TEXT,
    created_at TEXT NOT NULL DEFAULT ${now},
    updated_at TEXT NOT NULL DEFAULT ${now},
    UNIQUE (namespace_id, name)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS table_metadata (
    table_id INTEGER PRIMARY KEY REFERENCES tables(id),
    format_version INTEGER NOT NULL DEFAULT 2 CHECK (format_version IN (1, 2, 3)),
    schema_id INTEGER NOT NULL,
    schema_json TEXT NOT NULL,
    last_column_id INTEGER NOT NULL,
    partition_spec_json TEXT NOT NULL,
    sort_order_json TEXT NOT NULL,
    properties_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT ${now},
    updated_at TEXT NOT NULL DEFAULT ${now}
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS table_files (
    id INTEGER PRIMARY KEY,
    table_id INTEGER NOT NULL REFERENCES tables(id),
    path TEXT NOT NULL,
    uri TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    etag TEXT NOT NULL,
    row_count INTEGER,
    checksum TEXT,
    partition_path TEXT NOT NULL DEFAULT '',
    partition_values_json TEXT NOT NULL DEFAULT '{}',
    file_format TEXT NOT NULL DEFAULT 'parquet',
    schema_id INTEGER,
    iceberg_state TEXT NOT NULL DEFAULT 'pending'
      CHECK (iceberg_state IN ('pending', 'committing', 'committed', 'rejected', 'removed')),
    target_snapshot_id TEXT,
    snapshot_id TEXT,
    reject_reason TEXT,
    astha_written INTEGER NOT NULL DEFAULT 0 CHECK (astha_written IN (0, 1)),
    registered_at TEXT NOT NULL DEFAULT ${now},
    updated_at TEXT NOT NULL DEFAULT ${now},
    UNIQUE (table_id, path, etag),
    CHECK (iceberg_state <> 'rejected' OR reject_reason IS NOT NULL)
  ) STRICT`,
  'CREATE INDEX IF NOT EXISTS table_files_by_state ON table_files(table_id, iceberg_state, id)',
  `CREATE TABLE IF NOT EXISTS file_statistics (
    file_id INTEGER PRIMARY KEY REFERENCES table_files(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    record_count INTEGER NOT NULL,
    file_size INTEGER NOT NULL,
    column_count INTEGER NOT NULL,
    column_stats_json TEXT NOT NULL,
    split_offsets_json TEXT,
    created_at TEXT NOT NULL DEFAULT ${now}
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS table_snapshots (
    table_id INTEGER NOT NULL REFERENCES tables(id),
    snapshot_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    parent_snapshot_id TEXT,
    operation TEXT NOT NULL CHECK (operation IN ('append', 'replace', 'overwrite', 'delete')),
    manifest_list TEXT NOT NULL,
    summary_json TEXT NOT NULL DEFAULT '{}',
    metadata_location TEXT,
    committed_at TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT ${now},
    PRIMARY KEY (table_id, snapshot_id)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS rejected_objects (
    id INTEGER PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT ${now},
    UNIQUE (bucket, key, etag)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS __cdc_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL,
    tablename TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    before TEXT,
    after TEXT,
    created_at TEXT NOT NULL DEFAULT ${now}
  ) STRICT`,
  'CREATE INDEX IF NOT EXISTS __cdc_log_tablename ON __cdc_log(tablename)',
  'CREATE INDEX IF NOT EXISTS __cdc_log_timestamp ON __cdc_log(timestamp)',
  // Rows an INSERT/UPDATE OR REPLACE is about to delete, held between the BEFORE and AFTER
  // triggers of one row change (see cdcTriggers.ts). Empty between statements.
  `CREATE TABLE IF NOT EXISTS __cdc_replaced (
    tablename TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    before TEXT NOT NULL,
    PRIMARY KEY (tablename, row_id)
  ) STRICT`,
  // Which column list each table's triggers were generated from, to regenerate on change.
  `CREATE TABLE IF NOT EXISTS __cdc_triggers (
    tablename TEXT PRIMARY KEY,
    columns_hash TEXT NOT NULL,
    installed_at TEXT NOT NULL DEFAULT ${now}
  ) STRICT`,
];

/**
 * Compaction lineage. A compaction output holds the rows of the files it replaced; when a user
 * later deletes or overwrites one of those files, its rows must leave the table although its own
 * row is already `removed`. `compacted_rows` says where each source file's rows live: rows
 * [row_offset, row_offset + row_count) of the output are the source's, in order (composed through
 * repeated compactions, so a source always points at live outputs). `retracted_at` marks a
 * replaced source the user removed (the compactor rewrites the outputs holding its rows);
 * `purged_at` marks a replaced file astha's own cleanup deleted, so that deletion's
 * `ObjectRemoved` is not taken for the user's.
 */
const compactionLineage: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS compacted_rows (
    output_file_id INTEGER NOT NULL REFERENCES table_files(id),
    source_file_id INTEGER NOT NULL REFERENCES table_files(id),
    row_offset INTEGER NOT NULL CHECK (row_offset >= 0),
    row_count INTEGER NOT NULL CHECK (row_count > 0),
    PRIMARY KEY (output_file_id, row_offset)
  ) STRICT`,
  'CREATE INDEX IF NOT EXISTS compacted_rows_by_source ON compacted_rows(source_file_id)',
  'ALTER TABLE table_files ADD COLUMN retracted_at TEXT',
  'ALTER TABLE table_files ADD COLUMN purged_at TEXT',
];

/**
 * `astha.commit.policy` was written into every new table's properties but never read (the
 * commit policy is `astha.commit.min-files`, `-min-bytes`, `-max-age-seconds`): dropped, and
 * the change's CDC row makes the metadata orchestrator drop it from the Iceberg table too.
 */
const dropStaleCommitPolicy: readonly string[] = [
  `UPDATE table_metadata SET properties_json = json_remove(properties_json, '$."astha.commit.policy"')
    WHERE json_valid(properties_json) AND json_extract(properties_json, '$."astha.commit.policy"') IS NOT NULL`,
];

/**
 * Lookups that ran on every commit or compaction look and read every removed file of the table
 * (which only grows: landed files stay in the registry after compaction replaces them): the
 * removals not yet committed to the table, and sources retracted after compaction, are few;
 * compaction checks its inputs are still live by URI.
 */
const longLivedTableIndexes: readonly string[] = [
  `CREATE INDEX IF NOT EXISTS table_files_removal_uncommitted ON table_files(table_id, id)
    WHERE iceberg_state = 'removed' AND snapshot_id IS NOT NULL AND target_snapshot_id IS snapshot_id`,
  'CREATE INDEX IF NOT EXISTS table_files_retracted ON table_files(table_id) WHERE retracted_at IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS table_files_by_uri ON table_files(table_id, uri)',
];

/** Applied in order; a version once released is never edited, only followed by a new one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', statements: initial },
  { version: 2, name: 'compaction lineage', statements: compactionLineage },
  { version: 3, name: 'drop astha.commit.policy', statements: dropStaleCommitPolicy },
  { version: 4, name: 'indexes for long-lived tables', statements: longLivedTableIndexes },
];

export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT ${now}
) STRICT`;
