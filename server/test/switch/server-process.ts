import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = path.join(serverRoot, 'src', 'cli.ts');

/** The RedApp server as a child process (`redapp serve` from its sources), as production runs it. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the signal or exit code once the process has ended. */
  exited: Promise<NodeJS.Signals | number | null>;
  stop(): Promise<void>;
}

/** Starts `node --import tsx server/src/cli.ts serve` with `env` added, and waits until it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], {
    cwd: serverRoot,
    env: { ...process.env, REDAPP_PORT: '0', REDAPP_HOST: '127.0.0.1', REDAPP_TEST_CRASH_POINT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );

  const deadline = Date.now() + timeoutMs;
  let match = output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  while (!match) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redapp serve exited (${child.exitCode ?? child.signalCode}) before listening:\n${output}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redapp serve did not listen within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    match = output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  }

  return {
    url: match[1]!,
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A small client for the API with a session cookie and the CSRF token, as the console uses it. */
export class ApiClient {
  #cookie = '';
  #csrfToken = '';

  constructor(readonly baseUrl: string) {}

  async signIn(email: string, password: string): Promise<void> {
    const response = await fetch(`${this.baseUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (response.status !== 200) throw new Error(`Sign-in of ${email} failed: ${await response.text()}`);
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith('redapp_session='));
    this.#cookie = (cookie ?? '').split(';')[0]!;
    this.#csrfToken = ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  request(method: string, pathAndQuery: string, body?: unknown): Promise<Response> {
    const bytes = body instanceof Uint8Array;
    return fetch(`${this.baseUrl}${pathAndQuery}`, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.#cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': this.#csrfToken }),
        ...(body === undefined
          ? {}
          : { 'content-type': bytes ? 'application/octet-stream' : 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: bytes ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body) }),
    });
  }

  /** Sends a request and parses the JSON response; raises with the body when the status is not `expected`. */
  async json<T>(method: string, pathAndQuery: string, body?: unknown, expected = 200): Promise<T> {
    const response = await this.request(method, pathAndQuery, body);
    const text = await response.text();
    if (response.status !== expected) {
      throw new Error(`${method} ${pathAndQuery} returned ${response.status}, expected ${expected}: ${text}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
