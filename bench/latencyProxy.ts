/**
 * A TCP proxy that adds latency and counts round trips, for benchmarks that should see the
 * network AWS has (the registry ~10 ms away, S3 ~30 ms). Every chunk a client sends reaches
 * the server `delayMs` later (in order), so each request/response exchange costs `delayMs`
 * more; the response travels undelayed. A round trip is counted when a client sends after
 * having received (or sends first) on its connection: one per HTTP/1.1 request on a
 * keep-alive connection, whatever its body size. `classify` names the request by its first
 * chunk (e.g. S3 vs SQS on one LocalStack endpoint).
 *
 * Own code rather than Toxiproxy: no Go toolchain or extra process to manage, and it counts
 * round trips itself, which Toxiproxy does not.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export interface LatencyProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Round trips so far, by the name `classify` gave them. */
  counts(): Record<string, number>;
  /**
   * Per kind, how long the service took to start answering (after the added delay), in ms:
   * the service's own time under the load, which the added latency does not include. SQS
   * long polls (ReceiveMessage) are left out: they wait on purpose.
   */
  serviceTimes(): Record<string, number[]>;
  close(): Promise<void>;
}

export interface LatencyProxyOptions {
  /** `http://host:port` of the real service. */
  target: string;
  delayMs: number;
  classify?: (firstChunk: Buffer) => string;
}

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const target = new URL(options.target);
  const counts: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let answered = true;
    let timing: { kind: string; sentAt: number } | undefined;
    client.on('data', (chunk: Buffer) => {
      if (answered) {
        const kind = options.classify?.(chunk) ?? 'request';
        counts[kind] = (counts[kind] ?? 0) + 1;
        answered = false;
        const longPoll = chunk.subarray(0, 2048).toString('latin1').includes('ReceiveMessage');
        timing = longPoll ? undefined : { kind, sentAt: performance.now() + options.delayMs };
      }
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, options.delayMs);
    });
    upstream.on('data', (chunk: Buffer) => {
      answered = true;
      if (timing) {
        const list = times[timing.kind] ?? [];
        list.push(performance.now() - timing.sentAt);
        times[timing.kind] = list;
        timing = undefined;
      }
      if (!client.destroyed) client.write(chunk);
    });
    const close = () => {
      // After the delayed writes in flight, so a request is never cut short.
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      }, options.delayMs + 1);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    serviceTimes: () => Object.fromEntries(Object.entries(times).map(([k, v]) => [k, [...v]])),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * S3 or SQS with the operation, for one LocalStack endpoint: SQS speaks `POST /` with an
 * `AmazonSQS.<Action>` target; S3 is named by its method, a range or condition it
 * carries and the kind of object, e.g. `sqs ReceiveMessage`, `s3 GET range .parquet`,
 * `s3 PUT if-none-match .json`.
 */
export function awsService(firstChunk: Buffer): string {
  const head = firstChunk.subarray(0, 2048).toString('latin1');
  const sqs = /AmazonSQS\.(\w+)|Action=(\w+)/.exec(head);
  if (sqs) return `sqs ${sqs[1] ?? sqs[2]}`;
  const [method = '?', target = ''] = head.split(' ', 2);
  const lower = head.toLowerCase();
  if (method === 'GET' && /[?&]list-type=2/.test(target)) return 's3 LIST';
  const path = target.split('?', 1)[0]!;
  const extension = /\.(parquet|avro|json)$/.exec(path)?.[0] ?? '';
  const condition = lower.includes('\r\nif-none-match:')
    ? ' if-none-match'
    : lower.includes('\r\nif-match:')
      ? ' if-match'
      : '';
  const range = lower.includes('\r\nrange:') ? ' range' : '';
  return `s3 ${method}${range}${condition} ${extension || 'other'}`;
}

/** The service a round trip's kind belongs to (`s3 GET` → `s3`). */
export function serviceOf(kind: string): string {
  return kind.split(' ', 1)[0]!;
}

/**
 * A registry request (sqld's Hrana-over-HTTP pipeline) by what it carries: `registry batch`
 * for a batch of statements, else the first statement's verb (`registry SELECT`, `registry BEGIN`).
 */
export function registryRequest(firstChunk: Buffer): string {
  const head = firstChunk.subarray(0, 4096).toString('latin1');
  if (head.includes('"type":"batch"')) return 'registry batch';
  const verb = /"sql":"\s*(\w+)/.exec(head)?.[1];
  return verb ? `registry ${verb.toUpperCase()}` : 'registry other';
}
