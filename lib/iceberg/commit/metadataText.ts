/**
 * `v<N>.metadata.json` text for the commit path. The file carries the table's whole history
 * (every snapshot and the snapshot log), so after a thousand commits it is most of a megabyte,
 * and every commit writes it again. Snapshots never change once created, so each one's JSON is
 * rendered once per process and reused (keyed by the immutable snapshot object): a commit then
 * costs the new snapshot plus string joins, not a re-serialisation of the history.
 * The document is the one `serializeTableMetadata` writes, without indentation.
 */
import { stringifyJson } from '../spec/exactJson.js';
import { type Snapshot, snapshotToJson } from '../spec/snapshot.js';
import { type TableMetadata, tableMetadataToJson } from '../spec/tableMetadata.js';

const snapshotTexts = new WeakMap<Snapshot, string>();

function snapshotText(snapshot: Snapshot): string {
  let text = snapshotTexts.get(snapshot);
  if (text === undefined) {
    text = stringifyJson(snapshotToJson(snapshot), 0);
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
