/**
 * `v<N>.metadata.json` text for the commit path. The table's whole history (snapshots,
 * snapshot log, metadata log) is in this file, so after a thousand commits it is most of a
 * megabyte and is written on every commit: it goes through V8's native `JSON.stringify`
 * instead of the spec module's pretty printer, with 64-bit ids put back as bare JSON integers.
 * The result is the same JSON document `serializeTableMetadata` writes, without indentation.
 */
import { randomBytes } from 'node:crypto';
import { type TableMetadata, tableMetadataToJson } from '../spec/tableMetadata.js';

export function metadataText(metadata: TableMetadata): string {
  // A marker no metadata string can contain by chance, so only our bigints are unquoted.
  const marker = `~bigint-${randomBytes(8).toString('hex')}~`;
  const text = JSON.stringify(tableMetadataToJson(metadata), (_key, value: unknown) =>
    typeof value === 'bigint' ? `${marker}${value}` : value,
  );
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}
