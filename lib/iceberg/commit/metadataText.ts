/**
 * `v<N>.metadata.json` text for the commit path. The file carries the table's whole history
 * (every snapshot and the snapshot log), so after a thousand commits it is most of a megabyte,
 * and every commit writes it again. Snapshots never change once created, so each one's JSON is
 * rendered once per process and reused (keyed by the immutable snapshot object): a commit then
 * costs the new snapshot plus string joins, not a re-serialisation of the history.
 * The document is the one `serializeTableMetadata` writes, without indentation.
 */
import { randomBytes } from 'node:crypto';
import { type JsonValue, stringifyJson } from '../spec/exactJson.js';
import { type Snapshot, snapshotToJson } from '../spec/snapshot.js';
import {
  parseTableMetadata,
  type TableMetadata,
  tableMetadataFromJson,
  tableMetadataToJson,
} from '../spec/tableMetadata.js';

const snapshotTexts = new WeakMap<Snapshot, string>();
/** Marks bigints for native JSON.stringify; random per process, so no metadata string holds it. */
const BIGINT_MARKER = `~bigint-${randomBytes(8).toString('hex')}~`;
const MARKED_BIGINT = new RegExp(`"${BIGINT_MARKER}(-?\\d+)"`, 'g');

function snapshotText(snapshot: Snapshot): string {
  let text = snapshotTexts.get(snapshot);
  if (text === undefined) {
    // Native stringify even when uncached: after a cold load every snapshot is rendered once.
    text = JSON.stringify(snapshotToJson(snapshot), (_key, value: unknown) =>
      typeof value === 'bigint' ? `${BIGINT_MARKER}${value}` : value,
    ).replace(MARKED_BIGINT, '$1');
    snapshotTexts.set(snapshot, text);
  }
  return text;
}

/** The history arrays, rendered from cached or trivially templated pieces. */
function historyTexts(metadata: TableMetadata): Record<string, string> {
  return {
    snapshots: `[${metadata.snapshots.map(snapshotText).join(',')}]`,
    'snapshot-log': `[${metadata.snapshotLog
      .map((e) => `{"timestamp-ms":${e.timestampMs},"snapshot-id":${e.snapshotId}}`)
      .join(',')}]`,
    'metadata-log': `[${metadata.metadataLog
      .map((e) => `{"timestamp-ms":${e.timestampMs},"metadata-file":${JSON.stringify(e.metadataFile)}}`)
      .join(',')}]`,
  };
}

export function metadataText(metadata: TableMetadata): string {
  // Everything but the history is small: render it with the exact (bigint-safe) writer.
  const rest = tableMetadataToJson({ ...metadata, snapshots: [], snapshotLog: [], metadataLog: [] });
  const history = historyTexts(metadata);
  const members = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${JSON.stringify(key)}:${history[key] ?? stringifyJson(value, 0)}`);
  return `{${members.join(',')}}`;
}

/**
 * Parses `v<N>.metadata.json` at native `JSON.parse` speed: one pass over the text marks the
 * integers a double cannot hold exactly (snapshot ids) so they come back as bigints. Anything
 * unexpected falls back to the spec module's exact parser, which also reports errors well.
 */
export function parseMetadataText(text: string): TableMetadata {
  let json: JsonValue | undefined;
  try {
    json = parseWithBigInts(text);
  } catch {
    json = undefined;
  }
  return json === undefined ? parseTableMetadata(text) : tableMetadataFromJson(json);
}

const QUOTE = 34;
const BACKSLASH = 92;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

function parseWithBigInts(text: string): JsonValue {
  const marker = BIGINT_MARKER;
  const chunks: string[] = [];
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      continue;
    }
    if (c !== MINUS && (c < ZERO || c > NINE)) continue;
    let end = i + 1;
    while (end < text.length && /[0-9.eE+-]/.test(text[end] ?? '')) end++;
    const token = text.slice(i, end);
    if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
      chunks.push(text.slice(copied, i), `"${marker}${token}"`);
      copied = end;
    }
    i = end - 1;
  }
  if (copied === 0) return JSON.parse(text) as JsonValue;
  chunks.push(text.slice(copied));
  return JSON.parse(chunks.join(''), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker) ? BigInt(value.slice(marker.length)) : value,
  ) as JsonValue;
}
