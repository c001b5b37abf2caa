import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { IcebergError } from '../icebergError.js';

/**
 * The Avro object container file format (Avro spec, "Object Container Files"), in memory:
 * manifests are small enough to build and parse as one buffer, which keeps this module
 * synchronous and free of streams. `avsc` encodes the records; the header, blocks and sync
 * markers are framed here.
 *
 * Longs decode to `bigint` (snapshot ids exceed 2^53) and accept `number` or `bigint`.
 */

/** An Avro schema as JSON, with the extra attributes Iceberg needs (`field-id`, `element-id`, ...). */
export type AvroSchema = string | AvroSchema[] | { [key: string]: AvroSchemaMember };
type AvroSchemaMember = AvroSchema | number | boolean | null | undefined;

export type AvroCodec = 'null' | 'deflate';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const SYNC_SIZE = 16;
const RECORDS_PER_BLOCK = 1000;

/** Avro long ↔ bigint, exact over the whole 64-bit range. */
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (json: number | string) => BigInt(json),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) =>
    (typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n) ||
    (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** Parsed types by schema JSON: a table's manifests share a handful of schemas, and parsing one costs more than encoding a manifest. */
const parsedTypes = new Map<string, avro.Type>();
const MAX_PARSED_TYPES = 64;

/** Parses an Avro schema with bigint longs; logical types are read as their underlying type. */
export function avroType(schema: AvroSchema): avro.Type {
  const key = JSON.stringify(schema);
  const cached = parsedTypes.get(key);
  if (cached) return cached;
  const type = parseType(schema);
  if (parsedTypes.size >= MAX_PARSED_TYPES) parsedTypes.delete(parsedTypes.keys().next().value!);
  parsedTypes.set(key, type);
  return type;
}

function parseType(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as unknown as avro.Schema, {
    registry: { long: bigintLong },
    // `{"type": "long", "logicalType": ...}` does not go through the registry, so catch it here.
    typeHook: (s: unknown) => (isObject(s) && s.type === 'long' ? bigintLong : undefined),
    wrapUnions: 'auto',
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const metadataType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const plainLong = avro.Type.forSchema('long');

export interface ContainerFile {
  schema: AvroSchema;
  /** User metadata (`avro.*` keys excluded), decoded as UTF-8. */
  metadata: Record<string, string>;
  records: unknown[];
}

export interface EncodeOptions {
  codec?: AvroCodec;
  /** Defaults to 16 random bytes; fix it to make the output reproducible. */
  syncMarker?: Uint8Array;
}

export function encodeContainer(file: ContainerFile, options: EncodeOptions = {}): Uint8Array {
  const codec = options.codec ?? 'deflate';
  const sync = Buffer.from(options.syncMarker ?? randomBytes(SYNC_SIZE));
  if (sync.length !== SYNC_SIZE)
    throw new IcebergError('invalid_manifest', 'an Avro sync marker has 16 bytes');
  const type = avroType(file.schema);
  const meta: Record<string, Buffer> = {
    'avro.schema': Buffer.from(JSON.stringify(file.schema)),
    'avro.codec': Buffer.from(codec),
  };
  for (const [key, value] of Object.entries(file.metadata)) meta[key] = Buffer.from(value);
  const parts: Buffer[] = [MAGIC, metadataType.toBuffer(meta), sync];
  for (let start = 0; start < file.records.length; start += RECORDS_PER_BLOCK) {
    const block = file.records.slice(start, start + RECORDS_PER_BLOCK);
    const raw = Buffer.concat(block.map((record) => encodeRecord(type, record)));
    const data = codec === 'deflate' ? deflateRawSync(raw) : raw;
    parts.push(plainLong.toBuffer(block.length), plainLong.toBuffer(data.length), data, sync);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function encodeRecord(type: avro.Type, record: unknown): Buffer {
  const errors: string[] = [];
  if (!type.isValid(record, { errorHook: (path: string[]) => errors.push(path.join('.')) })) {
    throw new IcebergError('invalid_manifest', `record does not fit the Avro schema at ${errors.join(', ')}`);
  }
  return type.toBuffer(record);
}

export function decodeContainer(bytes: Uint8Array): ContainerFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new IcebergError('invalid_manifest', 'not an Avro container file (magic != Obj\\x01)');
  }
  const header = decodeAt(metadataType, buf, MAGIC.length, 'file metadata');
  const meta = header.value as Record<string, Buffer>;
  let pos = header.offset;
  const sync = buf.subarray(pos, pos + SYNC_SIZE);
  pos += SYNC_SIZE;
  const schemaJson = meta['avro.schema']?.toString('utf8');
  if (schemaJson === undefined) throw new IcebergError('invalid_manifest', 'Avro file has no avro.schema');
  const schema = JSON.parse(schemaJson) as AvroSchema;
  const codec = meta['avro.codec']?.toString('utf8') ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') {
    throw new IcebergError('unsupported', `Avro codec ${codec} is not supported (null, deflate)`);
  }
  const type = avroType(schema);
  const records: unknown[] = [];
  while (pos < buf.length) {
    const count = decodeAt(bigintLong, buf, pos, 'block count');
    const size = decodeAt(bigintLong, buf, count.offset, 'block size');
    const start = size.offset;
    const end = start + Number(size.value);
    if (end + SYNC_SIZE > buf.length)
      throw new IcebergError('invalid_manifest', 'Avro block runs past the end of the file');
    const data = codec === 'deflate' ? inflateRawSync(buf.subarray(start, end)) : buf.subarray(start, end);
    let at = 0;
    for (let i = 0n; i < (count.value as bigint); i++) {
      const record = decodeAt(type, data, at, 'record');
      records.push(record.value);
      at = record.offset;
    }
    if (!buf.subarray(end, end + SYNC_SIZE).equals(sync))
      throw new IcebergError('invalid_manifest', 'Avro sync marker mismatch');
    pos = end + SYNC_SIZE;
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta))
    if (!key.startsWith('avro.')) metadata[key] = value.toString('utf8');
  return { schema, metadata, records };
}

function decodeAt(
  type: avro.Type,
  buf: Buffer,
  pos: number,
  what: string,
): { value: unknown; offset: number } {
  const result = type.decode(buf, pos) as { value: unknown; offset: number };
  if (result.offset < 0)
    throw new IcebergError('invalid_manifest', `Avro ${what} is truncated at byte ${pos}`);
  return result;
}
