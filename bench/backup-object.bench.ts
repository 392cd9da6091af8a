/**
 * Benchmark of the backup object path: encrypt and decrypt streamed through the Transform streams in
 * memory (no disk), next to OpenSSL's AES-256-GCM ceiling, Node's own cipher ceiling and the AWS
 * Encryption SDK's encryptStream, plus the peak RSS of a child process that runs only our path.
 *
 *   npx tsx bench/backup-object.bench.ts            # 1 GiB object, a few minutes
 *   npx tsx bench/backup-object.bench.ts --quick    # 64 MiB object, for a quick check
 *   npx tsx bench/backup-object.bench.ts --size-mib 256
 *
 * Figures are in MB/s (10^6 bytes per second) so they compare directly with `openssl speed`, whose
 * output is in 1000s of bytes per second. Each figure is given twice: divided by the CPU time the work
 * used, as `openssl speed` does by default (CPU user time), and divided by wall-clock time. On a shared
 * machine the CPU-time figures are the steadier ones, and the target ratios are checked on them.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AlgorithmSuiteIdentifier } from '@aws-crypto/client-node';
import { createObjectDecryptStream } from '../server/src/backups/object-decrypt.js';
import { createObjectEncryptStream } from '../server/src/backups/object-encrypt.js';

const MIB = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const FRAME_BYTES = 64 * 1024;
/** Every contender first runs on this much data, so the timed run measures optimised code. */
const WARM_UP_BYTES = 32 * MIB;
const identity = { backupSetId: 'bench-set', objectId: 'bench-object' };
const backupKey = randomBytes(32);

interface Options {
  sizeBytes: number;
  rounds: number;
  childRss: boolean;
}

function parseOptions(argv: string[]): Options {
  let sizeMiB = 1024;
  let rounds = 3;
  let childRss = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--quick') {
      sizeMiB = 64;
      rounds = 1;
    } else if (argument === '--size-mib') sizeMiB = Number(argv[++i]);
    else if (argument === '--rounds') rounds = Number(argv[++i]);
    else if (argument === '--child-rss') childRss = true;
    else
      throw new Error(
        `Unknown argument ${argument}; expected --quick, --size-mib N, --rounds N or --child-rss.`,
      );
  }
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1 || sizeMiB > 4096) {
    throw new Error(`--size-mib must be an integer from 1 to 4096; got ${sizeMiB}.`);
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    throw new Error(`--rounds must be an integer from 1 to 10; got ${rounds}.`);
  }
  return { sizeBytes: sizeMiB * MIB, rounds, childRss };
}

/** 16 distinct random 64 KiB chunks, reused in turn; nothing downstream changes its input. */
const sourceChunks = Array.from({ length: 16 }, () => randomBytes(CHUNK_BYTES));

/** Streams `sizeBytes` of plaintext in 64 KiB chunks, feeding each chunk to `onChunk` as it is read. */
function plaintextSource(sizeBytes: number, onChunk?: (chunk: Buffer) => void): Readable {
  let sent = 0;
  let index = 0;
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (sent >= sizeBytes) {
        this.push(null);
        return;
      }
      const chunk = sourceChunks[index++ % sourceChunks.length]!;
      const take = Math.min(chunk.length, sizeBytes - sent);
      sent += take;
      const piece = take === chunk.length ? chunk : chunk.subarray(0, take);
      onChunk?.(piece);
      this.push(piece);
    },
  });
}

function countingSink(onChunk?: (chunk: Buffer) => void): Writable & { bytes: number } {
  const sink = new Writable({
    highWaterMark: CHUNK_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      sink.bytes += chunk.length;
      onChunk?.(chunk);
      callback();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

function encryptStream() {
  return createObjectEncryptStream({ ...identity, backupKey, backupKeyVersion: 1, frameSize: FRAME_BYTES });
}

function decryptStream() {
  return createObjectDecryptStream({ ...identity, getBackupKey: () => Buffer.from(backupKey) });
}

/** Throughput in MB/s, divided by CPU time (user + system, all threads of this process) and by wall time. */
interface Throughput {
  cpu: number;
  wall: number;
}

async function timed(bytes: number, run: () => unknown): Promise<Throughput> {
  const cpuStarted = process.cpuUsage();
  const wallStarted = process.hrtime.bigint();
  await run();
  const wallSeconds = Number(process.hrtime.bigint() - wallStarted) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { cpu: megabytesPerSecond(bytes, cpuSeconds), wall: megabytesPerSecond(bytes, wallSeconds) };
}

function megabytesPerSecond(bytes: number, seconds: number): number {
  return bytes / seconds / 1e6;
}

function timeOurEncrypt(sizeBytes: number): Promise<Throughput> {
  return timed(sizeBytes, () => pipeline(plaintextSource(sizeBytes), encryptStream(), countingSink()));
}

/** Encrypts once and keeps the object in memory (the parent process only; RSS is measured in the child). */
async function encryptIntoMemory(sizeBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    plaintextSource(sizeBytes),
    encryptStream(),
    countingSink((chunk) => parts.push(chunk)),
  );
  return Buffer.concat(parts);
}

/** Decrypts the object from memory, fed in 64 KiB slices as a file read would feed it. */
async function timeOurDecrypt(encrypted: Buffer, sizeBytes: number): Promise<Throughput> {
  let offset = 0;
  const slices = new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (offset >= encrypted.length) {
        this.push(null);
        return;
      }
      this.push(encrypted.subarray(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
    },
  });

  const sink = countingSink();
  const throughput = await timed(sizeBytes, () => pipeline(slices, decryptStream(), sink));
  if (sink.bytes !== sizeBytes) {
    throw new Error(`Decrypt returned ${sink.bytes} bytes, expected ${sizeBytes}.`);
  }
  return throughput;
}

/** Node's own ceiling: one cipher, 64 KiB updates, no framing and no streams. */
async function measureNodeCipher(sizeBytes: number): Promise<Throughput> {
  const warmUp = createCipheriv('aes-256-gcm', backupKey, randomBytes(12));
  for (let done = 0; done < WARM_UP_BYTES; done += CHUNK_BYTES) warmUp.update(sourceChunks[0]!);

  const cipher = createCipheriv('aes-256-gcm', backupKey, randomBytes(12));
  return timed(sizeBytes, () => {
    for (let done = 0; done < sizeBytes; done += CHUNK_BYTES) cipher.update(sourceChunks[0]!);
    cipher.final();
  });
}

/**
 * Measures Node on every core: one worker thread per core, each sealing its share of the data in
 * 64 KiB frames with a new cipher per frame, on one hot chunk, with nothing to move between threads.
 * A streamed implementation on worker threads also moves every frame between threads, so this is an
 * estimate of the most it could reach in wall-clock time. Its CPU figure is no better than one thread's.
 */
async function measureNodeAllCores(sizeBytes: number): Promise<Throughput> {
  const threads = cpus().length;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createCipheriv, randomBytes } = require('node:crypto');
    const key = randomBytes(32), nonce = randomBytes(12), frame = randomBytes(${FRAME_BYTES});
    parentPort.on('message', (bytes) => {
      for (let done = 0; done < bytes; done += frame.length) {
        const cipher = createCipheriv('aes-256-gcm', key, nonce);
        cipher.update(frame);
        cipher.final();
        cipher.getAuthTag();
      }
      parentPort.postMessage('done');
    });`;
  const workers = Array.from({ length: threads }, () => new Worker(source, { eval: true }));
  const run = (bytes: number) =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
            worker.postMessage(Math.ceil(bytes / threads));
          }),
      ),
    );
  try {
    await run(WARM_UP_BYTES);
    return await timed(sizeBytes, () => run(sizeBytes));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * Runs `openssl speed` at 16 KiB blocks. Without `-elapsed` it divides by CPU user time; with it, by
 * wall-clock time. Both figures are in 1000s of bytes per second.
 */
function measureOpenssl(): Throughput {
  const run = (extra: string[]) => {
    const command = ['speed', ...extra, '-bytes', '16384', '-seconds', '3', '-evp', 'aes-256-gcm'];
    const result = spawnSync('openssl', command, { encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      throw new Error(`openssl ${command.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
    }

    // The result line reads "AES-256-GCM    4139497.59k".
    const match = /^AES-256-GCM\s+([\d.]+)k\s*$/im.exec(result.stdout);
    if (match === null) throw new Error(`No AES-256-GCM figure in the openssl output:\n${result.stdout}`);
    return (Number(match[1]) * 1000) / 1e6;
  };

  return { cpu: run([]), wall: run(['-elapsed']) };
}

function opensslVersion(): string {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
}

async function measureEncryptionSdk(
  sizeBytes: number,
  suiteId: AlgorithmSuiteIdentifier | undefined,
): Promise<Throughput> {
  // Imported here so the RSS child, which runs only our path, never loads the SDK.
  const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } = await import(
    '@aws-crypto/client-node'
  );
  const { encryptStream: esdkEncryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'bench-key',
    keyNamespace: 'bench',
    unencryptedMasterKey: new Uint8Array(backupKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const suite = suiteId === undefined ? {} : { suiteId };

  const run = async (bytes: number) => {
    const sink = countingSink();
    const throughput = await timed(bytes, () =>
      pipeline(
        plaintextSource(bytes),
        esdkEncryptStream(keyring, { frameLength: FRAME_BYTES, ...suite }),
        sink,
      ),
    );
    if (sink.bytes < bytes) throw new Error(`ESDK returned ${sink.bytes} bytes for ${bytes} of plaintext.`);
    return throughput;
  };

  await run(WARM_UP_BYTES);
  return run(sizeBytes);
}

/** Runs encrypt then decrypt in this process only and prints the peak RSS as JSON. */
async function runChildRss(sizeBytes: number): Promise<void> {
  const baselineRssMiB = process.memoryUsage().rss / MIB;
  const inputHash = createHash('sha256');
  const outputHash = createHash('sha256');

  // Hashing inside the source keeps backpressure intact; a 'data' listener would switch it to flowing mode.
  await pipeline(
    plaintextSource(sizeBytes, (chunk) => inputHash.update(chunk)),
    encryptStream(),
    decryptStream(),
    countingSink((chunk) => outputHash.update(chunk)),
  );

  const roundTripOk = inputHash.digest('hex') === outputHash.digest('hex');
  const peakRssMiB = peakRssKiB() / 1024;
  process.stdout.write(`${JSON.stringify({ baselineRssMiB, peakRssMiB, roundTripOk })}\n`);
}

/**
 * Returns this process's peak RSS in KiB. On Linux it reads VmHWM, which starts afresh at exec. The
 * fallback, getrusage's maxRSS, is not used first because Linux carries the parent's peak into a
 * spawned child, so a large parent would inflate it.
 */
function peakRssKiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (match !== null) return Number(match[1]);
  } catch {
    // Not Linux: fall through to getrusage.
  }
  return process.resourceUsage().maxRSS;
}

interface ChildRss {
  baselineRssMiB: number;
  peakRssMiB: number;
  roundTripOk: boolean;
}

function measureChildRss(sizeBytes: number): ChildRss {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', script, '--child-rss', '--size-mib', String(sizeBytes / MIB)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`The RSS child process failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ChildRss;
}

const contenders = [
  'openssl',
  'nodeCipher',
  'nodeAllCores',
  'encrypt',
  'decrypt',
  'esdkCommitting',
  'esdkDefault',
] as const;
type Contender = (typeof contenders)[number];

const labels: Record<Contender, string> = {
  openssl: 'openssl speed -evp aes-256-gcm, 16 KiB blocks',
  nodeCipher: 'Node cipher.update, one cipher, 64 KiB calls',
  nodeAllCores: `Node, a cipher per 64 KiB frame, ${cpus().length} worker threads`,
  encrypt: 'ours: encrypt through the Transform',
  decrypt: 'ours: decrypt through the Transform',
  esdkCommitting: 'ESDK encryptStream, ..._HKDF_SHA512_COMMIT_KEY',
  esdkDefault: 'ESDK encryptStream, default ..._COMMIT_KEY_ECDSA_P384',
};

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.childRss) {
    await runChildRss(options.sizeBytes);
    return;
  }

  const sizeLabel = `${options.sizeBytes / MIB} MiB`;
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Backup object benchmark: ${sizeLabel} object, ${FRAME_BYTES / 1024} KiB frames and chunks`);
  console.log(`Node ${process.version} (OpenSSL ${process.versions.openssl}), ${opensslVersion()}`);
  console.log(`${cpus().length} cores (${cpuModel}), ${Math.round(totalmem() / 1024 ** 3)} GiB RAM`);
  // Other work on the machine competes for the same cores, so the load average belongs with the figures.
  console.log(`Started ${new Date().toISOString()}, load average ${loadAverage()}`);
  console.log('');

  // The RSS child runs first, while this process is still small.
  const rss = measureChildRss(options.sizeBytes);

  await pipeline(plaintextSource(WARM_UP_BYTES), encryptStream(), decryptStream(), countingSink());
  const encrypted = await encryptIntoMemory(options.sizeBytes);
  const { AlgorithmSuiteIdentifier } = await import('@aws-crypto/client-node');

  // Each round measures every contender once, and the best round of each is reported, because other
  // work on a shared machine only ever slows a run down.
  const rounds: Array<Record<Contender, Throughput>> = [];
  for (let round = 1; round <= options.rounds; round++) {
    const figures: Record<Contender, Throughput> = {
      openssl: measureOpenssl(),
      nodeCipher: await measureNodeCipher(options.sizeBytes),
      nodeAllCores: await measureNodeAllCores(options.sizeBytes),
      encrypt: await timeOurEncrypt(options.sizeBytes),
      decrypt: await timeOurDecrypt(encrypted, options.sizeBytes),
      esdkCommitting: await measureEncryptionSdk(
        options.sizeBytes,
        AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      ),
      esdkDefault: await measureEncryptionSdk(options.sizeBytes, undefined),
    };
    rounds.push(figures);
    const summary = contenders.map((name) => `${name} ${figures[name].cpu.toFixed(0)}`).join(', ');
    console.log(`round ${round} (MB/s per CPU second): ${summary}; load average ${loadAverage()}`);
  }
  console.log('');

  const best = (name: Contender): Throughput => ({
    cpu: Math.max(...rounds.map((figures) => figures[name].cpu)),
    wall: Math.max(...rounds.map((figures) => figures[name].wall)),
  });
  const results = Object.fromEntries(contenders.map((name) => [name, best(name)])) as Record<
    Contender,
    Throughput
  >;

  console.log(`Best of ${options.rounds} round(s), ${sizeLabel}, in MB/s:`);
  console.log(`${''.padEnd(56)} ${'per CPU second'.padStart(15)} ${'wall clock'.padStart(11)}`);
  for (const name of contenders) {
    const { cpu, wall } = results[name];
    console.log(`${labels[name].padEnd(56)} ${cpu.toFixed(0).padStart(15)} ${wall.toFixed(0).padStart(11)}`);
  }
  console.log(`ours: encrypted size overhead ${encrypted.length - options.sizeBytes} bytes`);
  console.log('');

  const ratio = (
    name: string,
    ours: Contender,
    other: Contender,
    target?: { min: number; label: string },
  ) => {
    const cpu = results[ours].cpu / results[other].cpu;
    const wall = results[ours].wall / results[other].wall;
    const verdict =
      target === undefined ? '' : ` (target ${target.label}: ${cpu >= target.min ? 'met' : 'MISSED'})`;
    console.log(
      `${name.padEnd(56)} ${cpu.toFixed(2).padStart(15)} ${wall.toFixed(2).padStart(11)}${verdict}`,
    );
  };
  console.log(`${'Ratios'.padEnd(56)} ${'per CPU second'.padStart(15)} ${'wall clock'.padStart(11)}`);
  ratio('ours encrypt / OpenSSL', 'encrypt', 'openssl', { min: 0.8, label: '>= 0.8' });
  ratio('ours decrypt / OpenSSL', 'decrypt', 'openssl', { min: 0.8, label: '>= 0.8' });
  ratio('ours encrypt / Node cipher.update', 'encrypt', 'nodeCipher');
  ratio('ours encrypt / ESDK committing', 'encrypt', 'esdkCommitting', { min: 3, label: '>= 3' });
  ratio('ours encrypt / ESDK default signing suite', 'encrypt', 'esdkDefault');
  console.log('');

  // What the two throughput targets ask for, next to the most that Node's crypto can give.
  const needs = (label: string, needed: Throughput) => {
    console.log(
      `${label.padEnd(56)} ${needed.cpu.toFixed(0).padStart(15)} ${needed.wall.toFixed(0).padStart(11)}`,
    );
  };
  console.log(
    `${'What the targets need, in MB/s'.padEnd(56)} ${'per CPU second'.padStart(15)} ${'wall clock'.padStart(11)}`,
  );
  needs('0.8 x OpenSSL', { cpu: 0.8 * results.openssl.cpu, wall: 0.8 * results.openssl.wall });
  needs('3 x ESDK committing', {
    cpu: 3 * results.esdkCommitting.cpu,
    wall: 3 * results.esdkCommitting.wall,
  });
  needs('Node ceiling, one thread (cipher.update)', results.nodeCipher);
  needs(`Node ceiling, ${cpus().length} threads (cipher per frame)`, results.nodeAllCores);
  console.log('');

  const rssVerdict = rss.peakRssMiB < 150 ? 'met' : 'MISSED';
  console.log(
    `Peak RSS of a child encrypting and decrypting ${sizeLabel}: ${rss.peakRssMiB.toFixed(1)} MiB ` +
      `(${rss.baselineRssMiB.toFixed(1)} MiB before the first byte; target < 150 MiB: ${rssVerdict}; ` +
      `round trip ${rss.roundTripOk ? 'ok' : 'FAILED'})`,
  );
  console.log(`Finished ${new Date().toISOString()}, load average ${loadAverage()}`);
}

await main();
