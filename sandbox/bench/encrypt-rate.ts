/**
 * Measures KMS Encrypt calls per second through the AWS SDK for JavaScript v3 against a sandbox started as
 * a child process on loopback. Bounded by --count calls and --seconds of wall time, whichever comes first.
 *
 *   npx tsx sandbox/bench/encrypt-rate.ts [--count 20000] [--seconds 10] [--concurrency 16]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SandboxConfig } from '../src/sandbox-config.js';

// The SDK warns that its 2027 releases need Node 22; that is noise in a benchmark's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
  },
});
const maxCalls = Number(values.count);
const maxSeconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
if (!(maxCalls > 0 && maxSeconds > 0 && concurrency > 0))
  throw new Error('--count, --seconds and --concurrency must be positive');

const stateDir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-bench-'));
const launcher = resolve(import.meta.dirname, '../bin/redapp-sandbox.mjs');
const child = spawn(process.execPath, [launcher, '--state', stateDir, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

try {
  const configPath = await new Promise<string>((done, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('sandbox did not start within 30 s')), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /config (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    child.on('exit', (code) => fail(new Error(`sandbox exited with ${code}`)));
  });
  const { aws } = JSON.parse(readFileSync(configPath, 'utf8')) as SandboxConfig;
  const kms = new KMSClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: aws.customerAdmin,
    maxAttempts: 1,
  });
  const key = await kms.send(new CreateKeyCommand({ Description: 'encrypt-rate benchmark' }));
  const plaintext = Buffer.alloc(32, 7);
  const context = { company: 'bench', purpose: 'company-key' };

  // Warm up connections and JIT before timing.
  for (let i = 0; i < 50; i++)
    await kms.send(
      new EncryptCommand({ KeyId: key.KeyMetadata!.Arn, Plaintext: plaintext, EncryptionContext: context }),
    );

  let calls = 0;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  const worker = async () => {
    while (calls < maxCalls && performance.now() < deadline) {
      calls++;
      await kms.send(
        new EncryptCommand({ KeyId: key.KeyMetadata!.Arn, Plaintext: plaintext, EncryptionContext: context }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;

  const rate = calls / elapsed;
  console.log(
    JSON.stringify({
      benchmark: 'sandbox-kms-encrypt-rate',
      calls,
      seconds: Number(elapsed.toFixed(2)),
      concurrency,
      callsPerSecond: Math.round(rate),
      cpus: cpus().length,
      node: process.version,
    }),
  );
  console.log(
    `Encrypt through the SDK on loopback: ${Math.round(rate)} calls/s (${calls} calls in ${elapsed.toFixed(2)} s, concurrency ${concurrency})`,
  );
  kms.destroy();
} finally {
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  rmSync(stateDir, { recursive: true, force: true });
}
