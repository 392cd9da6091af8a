import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningSandbox, startSandbox } from './sandbox.js';

const USAGE = `Usage: redapp-sandbox --state DIR [--host 127.0.0.1] [--port N] [--iam-propagation-delay SECONDS]

  --state DIR                      directory for state, sandbox.json and sandbox.log (created if missing)
  --host ADDRESS                   address to listen on (default 127.0.0.1)
  --port N                         TCP port; 0 picks a free one (default 0)
  --iam-propagation-delay SECONDS  seconds before new and changed IAM roles and policies take effect (default 0)`;

function fail(message: string): never {
  process.stderr.write(`redapp-sandbox: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        state: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'iam-propagation-delay': { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (typeof values.state !== 'string' || values.state === '') fail('missing --state DIR');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`invalid --port ${String(values.port)}: expected 0-65535`);
  const delay = Number(values['iam-propagation-delay']);
  if (!Number.isFinite(delay) || delay < 0) {
    fail(
      `invalid --iam-propagation-delay ${String(values['iam-propagation-delay'])}: expected seconds, 0 or more`,
    );
  }

  // Signal handlers come first: a parent may send SIGTERM as soon as it reads the ready line.
  let sandbox: RunningSandbox | undefined;
  let stopSignal: string | undefined;
  const stop = (signal: string) => {
    if (stopSignal) return;
    stopSignal = signal;
    if (sandbox) closeAndExit(sandbox, signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // `npx` does not forward SIGTERM to the program it runs: it exits and its shell dies, leaving this process
  // re-parented. Stopping when the parent changes keeps a killed `npx redapp-sandbox` from leaking a server.
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) stop('parent exited');
  }, 500).unref();

  sandbox = await startSandbox({
    stateDir: resolve(values.state),
    host: String(values.host),
    port,
    iamPropagationDelaySeconds: delay,
  });
  if (stopSignal) {
    closeAndExit(sandbox, stopSignal);
    return;
  }
  process.stdout.write(`redapp-sandbox ready: endpoint ${sandbox.url} config ${sandbox.configPath}\n`);
}

function closeAndExit(sandbox: RunningSandbox, signal: string): void {
  sandbox.close().then(
    () => {
      process.stdout.write(`redapp-sandbox stopped (${signal})\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`redapp-sandbox: failed to stop cleanly: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `redapp-sandbox: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
