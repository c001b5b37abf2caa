/**
 * A Glue Data Catalog on 127.0.0.1 for tests: moto's server (from the test virtualenv), started
 * per test file on a free port, behind a thin proxy that does what moto does not:
 * - answers `ConcurrentModificationException` to an UpdateTable whose VersionId is stale, as
 *   real Glue does (moto accepts it and silently rolls the table back);
 * - lets a test act between catalog_sync's read and its write (`beforeUpdate`), and queue
 *   errors for the next calls of an operation (throttling, access denied);
 * - counts requests per operation (the benchmark's requests per commit).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { freePort } from './services.js';

const MOTO_SERVER = join(process.cwd(), '.venv', 'bin', 'moto_server');
const JSON_TYPE = 'application/x-amz-json-1.1';

export interface GlueEmulator {
  /** The proxy: give this to astha and to readers. */
  endpoint: string;
  /** moto itself, for a test's own writes that must not go through the fault injection. */
  motoEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Requests per Glue operation (`UpdateTable`, ...) since start or the last `resetCounts`. */
  counts: Map<string, number>;
  resetCounts(): void;
  /** Runs before an UpdateTable is checked and forwarded (a concurrent writer's turn). */
  beforeUpdate: ((database: string, table: string) => Promise<void>) | undefined;
  /** Answers the next call of `operation` with Glue error `type` instead of forwarding it. */
  failNext(operation: string, type: string, times?: number): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

export async function startGlueEmulator(): Promise<GlueEmulator> {
  const motoPort = await freePort();
  const moto = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(motoPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  moto.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const motoEndpoint = `http://127.0.0.1:${motoPort}`;
  await waitForMoto(moto, motoEndpoint, () => stderr);
  const faults = new Map<string, { type: string; times: number }>();
  const emulator: GlueEmulator = {
    endpoint: '',
    motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    counts: new Map(),
    resetCounts: () => emulator.counts.clear(),
    beforeUpdate: undefined,
    failNext: (operation, type, times = 1) => faults.set(operation, { type, times }),
    clearFaults: () => faults.clear(),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      moto.kill('SIGTERM');
    },
  };
  const server = createServer((req, res) => {
    proxy(req, res, emulator, faults).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ __type: 'InternalServiceException', Message: String(error) }));
    });
  });
  const port = await listen(server);
  emulator.endpoint = `http://127.0.0.1:${port}`;
  return emulator;
}

async function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  emulator: GlueEmulator,
  faults: Map<string, { type: string; times: number }>,
): Promise<void> {
  const body = await readBody(req);
  const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSGlue\./, '');
  emulator.counts.set(operation, (emulator.counts.get(operation) ?? 0) + 1);
  const fault = faults.get(operation);
  if (fault) {
    if (--fault.times <= 0) faults.delete(operation);
    return answerError(res, fault.type, `injected ${fault.type}`);
  }
  if (operation === 'UpdateTable') {
    const input = JSON.parse(body.toString('utf8')) as {
      DatabaseName: string;
      TableInput: { Name: string };
      VersionId?: string;
    };
    await emulator.beforeUpdate?.(input.DatabaseName, input.TableInput.Name);
    if (input.VersionId !== undefined) {
      // A missing table is moto's to answer (EntityNotFoundException) when forwarded.
      const current = await glueRequest(emulator.motoEndpoint, 'GetTable', {
        DatabaseName: input.DatabaseName,
        Name: input.TableInput.Name,
      }).catch(() => ({}) as Record<string, unknown>);
      const versionId = (current.Table as { VersionId?: string } | undefined)?.VersionId;
      if (versionId !== undefined && versionId !== input.VersionId) {
        return answerError(
          res,
          'ConcurrentModificationException',
          `VersionId ${input.VersionId} is not ${versionId}`,
        );
      }
    }
  }
  const forwarded = await fetch(`${emulator.motoEndpoint}${req.url ?? '/'}`, {
    method: req.method ?? 'POST',
    headers: forwardHeaders(req),
    ...(body.length > 0 ? { body } : {}),
  });
  const headers: Record<string, string> = {};
  forwarded.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'content-encoding')
      headers[key] = value;
  });
  res.writeHead(forwarded.status, headers);
  res.end(Buffer.from(await forwarded.arrayBuffer()));
}

/** One unsigned Glue JSON call (moto checks no signatures). */
export async function glueRequest(
  endpoint: string,
  operation: string,
  input: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': JSON_TYPE,
      'x-amz-target': `AWSGlue.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!response.ok) throw new Error(`Glue ${operation}: ${response.status} ${text}`);
  return parsed;
}

function answerError(res: ServerResponse, type: string, message: string): void {
  // Glue answers its modelled exceptions with HTTP 400 and the type in the body.
  res.writeHead(400, { 'content-type': JSON_TYPE, 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, Message: message }));
}

function forwardHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || key === 'host' || key === 'content-length' || key === 'connection') continue;
    headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

async function waitForMoto(moto: ChildProcess, endpoint: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (moto.exitCode !== null) throw new Error(`moto_server exited with ${moto.exitCode}: ${stderr()}`);
    try {
      await glueRequest(endpoint, 'GetDatabases', {});
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`moto_server did not start: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
