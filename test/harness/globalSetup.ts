/**
 * Vitest global setup: makes sure LocalStack (S3 + SQS) is running on 127.0.0.1 for the
 * whole suite. Reuses one already listening; otherwise starts it from the project's
 * virtualenv (`scripts/setup-python.sh` creates it) and stops it again at the end.
 * Never skips: if LocalStack cannot be started the suite fails with the reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const ENDPOINT = process.env.ASTHA_TEST_LOCALSTACK ?? 'http://127.0.0.1:4566';
const STARTUP_TIMEOUT_MS = 120_000;

async function healthy(): Promise<boolean> {
  try {
    const response = await fetch(`${ENDPOINT}/_localstack/health`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return false;
    const body = (await response.json()) as { services?: Record<string, string> };
    const ready = (s?: string) => s === 'available' || s === 'running';
    if (!ready(body.services?.s3) || !ready(body.services?.sqs)) return false;
    // The health page says "available" before a provider has loaded; a provider that cannot
    // load (wrong Python) answers 500 to every call. Ask both services for real.
    for (const path of ['/', '/?Action=ListQueues']) {
      const probe = await fetch(`${ENDPOINT}${path}`, { signal: AbortSignal.timeout(10_000) });
      if (probe.status !== 200) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function listening(): Promise<boolean> {
  const { hostname, port } = new URL(ENDPOINT);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, failure: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let child: ChildProcess | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('localstackEndpoint', ENDPOINT);
  if (await healthy()) return async () => {};
  if (await listening()) {
    // Something already owns the port (a LocalStack still starting, or busy): wait for it
    // rather than start a second one that cannot bind.
    await waitUntil(healthy, `LocalStack at ${ENDPOINT} is listening but never became healthy`);
    return async () => {};
  }

  const root = process.cwd();
  const python = join(root, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `LocalStack is not running at ${ENDPOINT} and ${python} is missing: run scripts/setup-python.sh`,
    );
  }
  const stateDir = join(root, '.cache', 'localstack');
  mkdirSync(stateDir, { recursive: true });
  const logPath = join(stateDir, 'localstack.log');
  const log = openSync(logPath, 'w');
  const { host, port } = new URL(ENDPOINT);
  child = spawn(python, ['-m', 'localstack.runtime.main'], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      SERVICES: 's3,sqs',
      GATEWAY_LISTEN: `${host}`,
      LOCALSTACK_HOST: `${host}`,
      SQS_ENDPOINT_STRATEGY: 'path',
      DNS_ADDRESS: '0',
      SKIP_SSL_CERT_DOWNLOAD: '1',
      DISABLE_EVENTS: '1',
      FILESYSTEM_ROOT: join(stateDir, 'fs'),
      TMPDIR: join(stateDir, 'tmp'),
      PERSISTENCE: '0',
      DEBUG: '0',
    },
  });
  mkdirSync(join(stateDir, 'tmp'), { recursive: true });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await healthy())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = readFileSync(logPath, 'utf8').slice(-3000);
      throw new Error(`LocalStack did not start on ${ENDPOINT} (port ${port}); log tail:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };
}
