/**
 * `npm run demo`: the main job of the product without a browser. It starts its own sandbox and
 * RedApp server in temporary directories (so it always begins on CyberSentriq-managed keys), runs
 * the setup script with the AWS CLI, tests and saves the four values, verifies every tenant through
 * the identity sandboxes, waits for the switch to finish, restores every backup object byte for
 * byte, and shows revocation working: disabled key, downloads refused; enabled, downloads back.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { signInWithSandbox } from '../../sandbox/src/identity/sign-in-driver.js';
import { ApiClient } from '../support/api-client.js';
import {
  demoCredentials,
  repositoryRoot,
  type Sandbox,
  type Server,
  startSandbox,
  startServer,
} from '../support/processes.js';

// The AWS SDK warns once about future Node versions; that line would cut through the progress output.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const keyCacheSeconds = 3;
const companyId = '0b5c8f8e-2f4a-4d0e-9a51-6c1f3a000101';
const base = `/api/companies/${companyId}`;
const summary: string[] = [];
let stepNumber = 0;

async function step<T>(title: string, work: () => Promise<T>): Promise<T> {
  stepNumber += 1;
  const started = Date.now();
  process.stdout.write(`[${stepNumber}] ${title}... `);
  try {
    const result = await work();
    process.stdout.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    process.stdout.write('FAILED\n');
    throw error;
  }
}

function fail(message: string): never {
  throw new Error(message);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function main(): Promise<void> {
  let sandbox: Sandbox | undefined;
  let server: Server | undefined;
  try {
    sandbox = await step('Start the sandbox (AWS, Entra and Google stand-ins)', () => startSandbox());
    server = await step(`Start RedApp with a ${keyCacheSeconds} s key cache age`, () =>
      startServer({
        sandboxFile: sandbox!.file,
        env: { REDAPP_KEY_CACHE_MAX_AGE_SECONDS: String(keyCacheSeconds) },
      }),
    );
    const sandboxJson = sandbox.config;
    const admin = new ApiClient(server.url);
    const credentials = demoCredentials(server.dataDir).users.find(
      (user) => user.email === 'admin@contoso.example',
    )!;
    await step('Sign in as admin@contoso.example', () =>
      admin.signIn(credentials.email, credentials.password),
    );

    const uploaded = await step('Upload a backup object to every Contoso backup set', async () => {
      const sets = (
        await admin.json<{ backupSets: Array<{ id: string; name: string }> }>('GET', `${base}/backup-sets`)
      ).body.backupSets;
      const objects: Array<{ id: string; backupSetId: string; digest: string }> = [];
      for (const set of sets) {
        const data = randomBytes(256 * 1024);
        const response = await admin.request(
          'POST',
          `${base}/backup-sets/${set.id}/objects?name=demo.bin`,
          data,
        );
        if (response.status !== 201)
          fail(`upload to ${set.name} answered ${response.status}: ${await response.text()}`);
        objects.push({
          id: ((await response.json()) as { id: string }).id,
          backupSetId: set.id,
          digest: sha256(data),
        });
      }
      return objects;
    });

    const setup = (
      await admin.json<{ platformPrincipalArn: string; externalId: string }>(
        'GET',
        `${base}/key-management/aws-kms/setup`,
      )
    ).body;
    const values = await step(
      'Run cybersentriq-byok-setup.sh against the sandbox with the AWS CLI',
      async () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-demo-home-'));
        const result = spawnSync(
          'bash',
          [
            path.join(repositoryRoot, 'setup', 'cybersentriq-byok-setup.sh'),
            '--platform-principal-arn',
            setup.platformPrincipalArn,
            '--external-id',
            setup.externalId,
            '--region',
            sandboxJson.aws.region,
          ],
          {
            encoding: 'utf8',
            env: {
              PATH: process.env.PATH ?? '',
              HOME: home,
              AWS_ACCESS_KEY_ID: sandboxJson.aws.customerAdmin.accessKeyId,
              AWS_SECRET_ACCESS_KEY: sandboxJson.aws.customerAdmin.secretAccessKey,
              AWS_ENDPOINT_URL: sandboxJson.aws.endpoint,
              AWS_PAGER: '',
            },
          },
        );
        if (result.status !== 0)
          fail(`the setup script exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
        const read = (label: string) =>
          result.stdout.match(new RegExp(`^${label}: (\\S+)$`, 'm'))?.[1] ??
          fail(`no "${label}" line in the output`);
        return {
          roleArn: read('Role ARN'),
          externalId: read('External ID'),
          keyArn: read('Key ARN'),
          region: read('Region'),
        };
      },
    );
    process.stdout.write(
      `    Role ARN: ${values.roleArn}\n    Key ARN: ${values.keyArn}\n    Region: ${values.region}\n`,
    );

    const request = { providerType: 'aws-kms', config: values };
    await step('Test connection', async () => {
      const test = await admin.json<{
        ok: boolean;
        steps: Array<{ name: string; status: string }>;
        error?: { message: string };
      }>('POST', `${base}/key-management/test`, request);
      if (!test.body.ok) fail(`Test connection failed: ${test.body.error?.message}`);
      process.stdout.write(`(${test.body.steps.map((s) => `${s.name}: ${s.status}`).join('; ')}) `);
    });
    await step('Save', async () => {
      const save = await admin.json<{ ok: boolean; error?: { message: string } }>(
        'POST',
        `${base}/key-management/save`,
        request,
      );
      if (!save.body.ok) fail(`Save failed: ${save.body.error?.message}`);
    });

    const tenants = (
      await admin.json<{ tenants: Array<{ kind: string; tenantId: string; primaryDomain: string }> }>(
        'GET',
        `${base}/key-management/tenants`,
      )
    ).body.tenants;
    for (const tenant of tenants) {
      const isMicrosoft = tenant.kind === 'microsoft365';
      const user = isMicrosoft
        ? sandboxJson.identity.entra.tenants
            .find((t) => t.tenantId === tenant.tenantId)
            ?.users.find((u) => u.role === 'global_admin')
        : sandboxJson.identity.google.accounts
            .find((a) => a.customerId === tenant.tenantId)
            ?.users.find((u) => u.role === 'super_admin');
      if (!user) fail(`the sandbox has no admin for tenant ${tenant.tenantId}`);
      await step(
        `Verify ${isMicrosoft ? 'Microsoft 365 tenant' : 'Google Workspace account'} ${tenant.primaryDomain} as ${user.username}`,
        async () => {
          const start = await admin.json<{ authorizationUrl: string }>(
            'POST',
            `${base}/key-management/tenants/verify`,
            {
              kind: tenant.kind,
              tenantId: tenant.tenantId,
            },
          );
          const callback = await signInWithSandbox(start.body.authorizationUrl, user);
          const response = await admin.request('GET', `${callback.pathname}${callback.search}`);
          const result = new URL(response.headers.get('location') ?? '/', server!.url).searchParams;
          if (result.get('result') !== 'verified')
            fail(`refused: ${result.get('reason') ?? result.get('verificationError')}`);
        },
      );
    }

    await step('Wait for the switch to finish by itself', async () => {
      for (let attempt = 0; attempt < 150; attempt++) {
        const overview = (
          await admin.json<{
            status: string;
            provider: { label: string };
            switch?: { lastError?: { message: string } };
          }>('GET', `${base}/key-management`)
        ).body;
        if (overview.status === 'active' && overview.provider.label === 'AWS KMS') return;
        if (overview.switch?.lastError) fail(`the switch stopped: ${overview.switch.lastError.message}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      fail('the switch did not finish within 30 s');
    });

    const download = (object: { id: string; backupSetId: string }) =>
      admin.request('GET', `${base}/backup-sets/${object.backupSetId}/objects/${object.id}/content`);
    await step(`Restore all ${uploaded.length} backup objects and compare them byte for byte`, async () => {
      for (const object of uploaded) {
        const response = await download(object);
        if (response.status !== 200) fail(`object ${object.id} answered ${response.status}`);
        if (sha256(Buffer.from(await response.arrayBuffer())) !== object.digest)
          fail(`object ${object.id} differs`);
      }
    });

    const kms = new KMSClient({
      region: sandboxJson.aws.region,
      endpoint: sandboxJson.aws.endpoint,
      credentials: {
        accessKeyId: sandboxJson.aws.customerAdmin.accessKeyId,
        secretAccessKey: sandboxJson.aws.customerAdmin.secretAccessKey,
      },
    });
    const refusal = await step(
      'Disable the key as the customer, wait out the key cache age, try a download',
      async () => {
        await kms.send(new DisableKeyCommand({ KeyId: values.keyArn }));
        await new Promise((resolve) => setTimeout(resolve, (keyCacheSeconds + 0.5) * 1000));
        const response = await download(uploaded[0]!);
        const body = (await response.json()) as { error?: { code: string; message: string } };
        if (response.status === 200 || body.error?.code !== 'KEY_DISABLED')
          fail(`expected KEY_DISABLED, got ${response.status} ${body.error?.code}`);
        return body.error.message;
      },
    );
    process.stdout.write(`    Download refused: "${refusal}"\n`);
    await step('Enable the key again and download', async () => {
      await kms.send(new EnableKeyCommand({ KeyId: values.keyArn }));
      for (const object of uploaded) {
        const response = await download(object);
        if (response.status !== 200) fail(`object ${object.id} still refused (${response.status})`);
        if (sha256(Buffer.from(await response.arrayBuffer())) !== object.digest)
          fail(`object ${object.id} differs`);
      }
    });

    summary.push(
      'Provider: AWS KMS',
      `Tenants verified: ${tenants.length}`,
      `Backup objects restored byte for byte: ${uploaded.length}`,
      `Revocation: downloads refused with KEY_DISABLED within the ${keyCacheSeconds} s key cache age, and restored after EnableKey`,
    );
  } finally {
    process.stdout.write('Stopping the demo server and sandbox...\n');
    const started = Date.now();
    await server?.process.stop('SIGTERM', stopTimeoutMs);
    await sandbox?.process.stop('SIGTERM', stopTimeoutMs);
    process.stdout.write(`Stopped in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  }
}

/** How long the demo waits for the server or the sandbox to stop before it kills the process. */
const stopTimeoutMs = 20_000;

main().then(
  () => {
    process.stdout.write(`\nDemo passed.\n${summary.map((line) => `  ${line}`).join('\n')}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`\nDemo failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
