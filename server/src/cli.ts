#!/usr/bin/env node
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import { verifyAuditChains } from './audit/audit-log.js';
import { deleteExpiredSessions } from './auth/sessions-dal.js';
import { backupUsage, runBackupCommand } from './commands/backup-commands.js';
import { type Config, loadConfig } from './config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from './db/database.js';
import { type DemoCredentials, type DemoSeedDeps, seedDemo } from './demo/demo-seed.js';
import { AppError } from './errors/app-error.js';
import { openExport } from './export/export-file.js';
import { awsKeyHealthProbe } from './key-health/aws-key-probe.js';
import { azureKeyHealthProbe } from './key-health/azure-key-probe.js';
import { KeyHealthChecker } from './key-health/key-health-checker.js';
import type { KeyHealthProbes } from './key-health/key-health-probe.js';
import { rotatePlatformKey } from './keys/platform-key-rotation.js';
import { loggerOptions } from './logging/logger.js';
import { azurePlatformSettings } from './providers/azure-key-vault/azure-clients.js';
import { awsPlatformSettings, createServices, type Services } from './services.js';
import { readPassword } from './users/read-password.js';
import { addUser } from './users/users-service.js';

const usage = `Usage: redapp <command> [options]

Commands:
  serve [--demo]        Start the server. --demo seeds the demo data when it is missing.
  migrate               Apply pending database migrations and exit.
  seed --demo           Add the demo partners, companies, users and backup sets (idempotent). The
                        company on Azure Key Vault needs REDAPP_SANDBOX_FILE.
  user add --email EMAIL --role ROLE (--company ID | --partner ID) [--name NAME] [--password-stdin]
                        Add a user. ROLE is partner_admin, company_admin or company_viewer.
                        The password is prompted for, or read from the first line of standard input
                        with --password-stdin; it is never taken from the command line.
${backupUsage}
  export decrypt FILE [--passphrase-stdin]
                        Decrypt a company key export (.rkx) and print its key versions as JSON, to
                        check the file; the passphrase is prompted for or read from standard input.
  audit verify          Recompute every company's audit hash chain; exits 1 naming the first broken event.
  platform-key rotate   Add a platform master key version and re-wrap every CyberSentriq-managed
                        company key under it (embedded local master key only).

Configuration comes from environment variables (REDAPP_DATA_DIR, DATABASE_URL, REDAPP_HOST,
REDAPP_PORT, ...); see the README.
`;

class UsageError extends Error {}

async function withDatabase<T>(config: Config, work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    return await work(handle);
  } finally {
    await handle.close();
  }
}

/** Opens the database with the domain services for one CLI command; logs go to stderr at warn level. */
async function withServices(
  config: Config,
  work: (services: Services, handle: DatabaseHandle, logger: Logger) => Promise<void>,
): Promise<void> {
  const logger = pino(
    { ...loggerOptions(config.logLevel === 'info' ? 'warn' : config.logLevel) },
    pino.destination(2),
  );
  await withDatabase(config, (handle) => work(createServices(config, handle.db, logger), handle, logger));
}

/** Prints how to run the setup script against the sandbox as its customer admin. */
function printSandboxSetup(config: Config): void {
  const sandbox = JSON.parse(fs.readFileSync(config.sandboxFile!, 'utf8')) as {
    aws: {
      endpoint: string;
      region: string;
      customerAdmin: { accessKeyId: string; secretAccessKey: string };
    };
  };
  const admin = sandbox.aws.customerAdmin;
  process.stdout.write(
    `Local sandbox (AWS, Entra, Google stand-ins): ${sandbox.aws.endpoint}, details in ${config.sandboxFile}\n` +
      'To switch a company to AWS KMS: copy the setup command from its Manage KMS page (it carries the\n' +
      "company's External ID) and run it in the setup folder as the sandbox's customer admin:\n\n" +
      `  cd setup && AWS_ACCESS_KEY_ID=${admin.accessKeyId} AWS_SECRET_ACCESS_KEY=${admin.secretAccessKey} \\\n` +
      `  AWS_ENDPOINT_URL=${sandbox.aws.endpoint} AWS_REGION=${sandbox.aws.region} AWS_PAGER= \\\n` +
      '  <the command copied from Manage KMS>\n\n' +
      'Then paste the four values the script prints (Role ARN, External ID, Key ARN, Region) and click Test connection.\n\n',
  );
}

function demoSeedDeps(config: Config, services: Services): DemoSeedDeps {
  return {
    companyKeys: services.companyKeys,
    providers: services.providers,
    sandboxFile: config.sandboxFile,
  };
}

/** Builds the key health probes, one per provider type of customer keys. */
function keyHealthProbes(config: Config, services: Services): KeyHealthProbes {
  return new Map([
    ['aws-kms', awsKeyHealthProbe(awsPlatformSettings(config))],
    [
      'azure-key-vault',
      azureKeyHealthProbe(azurePlatformSettings(config.azure), () =>
        services.providers.create('cybersentriq', {}),
      ),
    ],
  ]);
}

function printDemoSignIn(url: string, credentials: DemoCredentials): void {
  const lines = credentials.users.map(
    (user) =>
      `  ${user.role.padEnd(15)} ${user.email.padEnd(38)} ${user.password}${user.company ? `  (${user.company})` : ''}`,
  );
  process.stdout.write(
    `\nRedApp Key Management is running at ${url}\n\nSign in with one of the demo users:\n${lines.join('\n')}\n\n` +
      `API reference: ${url}/docs\nStop with Ctrl+C.\n\n`,
  );
}

async function serve(config: Config, demo: boolean): Promise<void> {
  const logger = pino(loggerOptions(config.logLevel));
  // Process warnings (such as the AWS SDK's notice about future Node versions) go to the log, once each.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name }, warning.message));
  const handle = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onPoolError: (error) => logger.error({ err: error }, 'idle database connection failed'),
  });
  logger.info({ database: handle.kind, dataDir: config.dataDir }, 'database opened');
  await migrateToLatest(handle.db, logger);

  const services = createServices(config, handle.db, logger);
  const seeded = demo ? await seedDemo(handle.db, config.dataDir, demoSeedDeps(config, services)) : undefined;
  if (seeded?.created) logger.info({ dataDir: config.dataDir }, 'demo data seeded');
  if (seeded?.azureSkipped)
    logger.info({ reason: seeded.azureSkipped }, 'demo company on Azure Key Vault not seeded');

  const { server } = await buildApp({
    config,
    db: handle.db,
    services,
    logger: loggerOptions(config.logLevel),
  });
  const address = await server.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');

  const sweeper = setInterval(() => {
    deleteExpiredSessions(handle.db).catch((error: unknown) =>
      logger.error({ err: error }, 'session cleanup failed'),
    );
  }, 15 * 60_000);
  sweeper.unref();

  // Switches left finishing by a crash, and retries after transient failures, finish here.
  const resumeSwitches = () =>
    services.switches
      .resumeDue()
      .catch((error: unknown) => logger.error({ err: error }, 'switch worker failed'));
  await resumeSwitches();
  const switchWorker = setInterval(resumeSwitches, 5_000);
  switchWorker.unref();
  const keyHealth = new KeyHealthChecker({
    db: handle.db,
    probes: keyHealthProbes(config, services),
    intervalSeconds: config.keyHealthIntervalSeconds,
    logger,
  });
  keyHealth.start();

  if (seeded) printDemoSignIn(url, seeded.credentials);
  if (config.sandboxFile) printSandboxSetup(config);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'server stopping');
    clearInterval(sweeper);
    clearInterval(switchWorker);
    await keyHealth.stop();
    await server.close();
    await handle.close();
    logger.info('server stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write(usage);
    return;
  }
  const config = loadConfig();

  if (command === 'serve') {
    const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean', default: false } } });
    await serve(config, values.demo);
    return;
  }

  if (command === 'migrate') {
    parseArgs({ args: rest, options: {} });
    const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const applied = await migrateToLatest(handle.db);
      process.stdout.write(
        applied.length
          ? `Applied ${applied.length} migration(s): ${applied.join(', ')}.\n`
          : 'Database is already up to date.\n',
      );
    } finally {
      await handle.close();
    }
    return;
  }

  if (command === 'seed') {
    const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean', default: false } } });
    if (!values.demo) throw new UsageError('seed needs --demo (the only data set there is).');
    let result!: Awaited<ReturnType<typeof seedDemo>>;
    await withServices(config, async (services, handle) => {
      result = await seedDemo(handle.db, config.dataDir, demoSeedDeps(config, services));
    });
    process.stdout.write(
      result.created
        ? `Demo data added; sign-in details are in ${config.dataDir}/demo-credentials.json.\n`
        : 'Demo data was already present; nothing changed.\n',
    );
    if (result.azureSkipped)
      process.stdout.write(
        `The demo company on Azure Key Vault was left out: ${result.azureSkipped}; set REDAPP_SANDBOX_FILE to add it.\n`,
      );
    return;
  }

  if (command === 'user' && rest[0] === 'add') {
    const { values } = parseArgs({
      args: rest.slice(1),
      options: {
        email: { type: 'string' },
        role: { type: 'string' },
        company: { type: 'string' },
        partner: { type: 'string' },
        name: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
      },
    });
    if (!values.email || !values.role) throw new UsageError('user add needs --email and --role.');
    const password = await readPassword(values['password-stdin']);
    const id = await withDatabase(config, (handle) =>
      addUser(handle.db, {
        email: values.email!,
        displayName: values.name ?? '',
        password,
        role: values.role!,
        partnerId: values.partner,
        companyId: values.company,
      }),
    );
    process.stdout.write(`User ${values.email} added with id ${id}.\n`);
    return;
  }

  if (command === 'backup') {
    await withServices(config, (services) =>
      runBackupCommand(rest, services, (message) => new UsageError(message)),
    );
    return;
  }

  if (command === 'export' && rest[0] === 'decrypt') {
    const { values, positionals } = parseArgs({
      args: rest.slice(1),
      allowPositionals: true,
      options: { 'passphrase-stdin': { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('export decrypt needs exactly one FILE.');
    const file = fs.readFileSync(positionals[0]!);
    const passphrase = await readPassword(values['passphrase-stdin'], 'Passphrase: ');
    const exported = openExport(file, passphrase);
    process.stdout.write(`${JSON.stringify(exported, null, 2)}\n`);
    return;
  }

  if (command === 'audit' && rest[0] === 'verify') {
    parseArgs({ args: rest.slice(1), options: {} });
    const result = await withDatabase(config, (handle) => verifyAuditChains(handle.db));
    for (const problem of result.problems) {
      process.stderr.write(
        `Broken chain for company ${problem.companyId} at event ${problem.sequence}: ${problem.problem}.\n`,
      );
    }
    if (result.problems.length > 0) {
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`Audit log intact: ${result.checked} event(s) checked.\n`);
    return;
  }

  if (command === 'platform-key' && rest[0] === 'rotate') {
    parseArgs({ args: rest.slice(1), options: {} });
    await withServices(config, async (services, handle, logger) => {
      const result = await rotatePlatformKey({
        db: handle.db,
        providers: services.providers,
        cache: services.keyCache,
        logger,
        onProgress: (done, total) => process.stderr.write(`\rRe-wrapping company keys: ${done}/${total}`),
      });
      process.stderr.write('\n');
      process.stdout.write(
        `Platform master key version ${result.version} is current; ${result.rewrapped} company key version(s) re-wrapped.\n`,
      );
    });
    return;
  }

  throw new UsageError(`Unknown command "${argv.join(' ')}".`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`redapp: ${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (error instanceof AppError) {
    process.stderr.write(`redapp: ${error.message}\n${error.fix}\n`);
    process.exit(1);
  }
  process.stderr.write(`redapp: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
