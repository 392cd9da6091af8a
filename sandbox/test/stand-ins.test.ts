import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../src/sandbox.js';
import type { StandIn } from '../src/stand-ins.js';

const echo: StandIn = {
  name: 'echo',
  mount(router, context) {
    router.mount('/echo/', async (request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(`echo ${request.url}`);
    });
    return { endpoint: `${context.baseUrl}/echo/` };
  },
};

describe('stand-ins', () => {
  it('stand-in serves its prefix beside AWS', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-stand-in-'));
    const sandbox = await startSandbox({ stateDir, standIns: [echo] });
    try {
      const config = JSON.parse(readFileSync(sandbox.configPath, 'utf8'));
      expect(config.echo).toEqual({ endpoint: `${sandbox.url}/echo/` });

      const response = await fetch(`${sandbox.url}/echo/hello`);
      expect(await response.text()).toBe('echo /echo/hello');

      const { aws } = sandbox.config;
      const sts = new STSClient({
        endpoint: aws.endpoint,
        region: aws.region,
        credentials: aws.customerAdmin,
        maxAttempts: 1,
      });
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe(aws.customerAdmin.principalArn);
    } finally {
      await sandbox.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('router rejects a root prefix', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'redapp-sandbox-stand-in-'));
    const rootMount: StandIn = {
      name: 'bad',
      mount(router) {
        router.mount('/', async () => {});
        return {};
      },
    };
    await expect(startSandbox({ stateDir, standIns: [rootMount] })).rejects.toThrow(
      'route prefix must look like /name/',
    );
    rmSync(stateDir, { recursive: true, force: true });
  });
});
