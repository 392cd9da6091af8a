import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

function sandboxFile(content: object): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'redapp-azure-config-'));
  const file = path.join(directory, 'sandbox.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

const aws = {
  endpoint: 'http://127.0.0.1:4566',
  platform: { principalArn: 'arn:aws:iam::156214480941:user/x', accessKeyId: 'AKIA', secretAccessKey: 's' },
};

describe('Azure configuration', () => {
  it('defaults to Azure public cloud without sandbox CA', () => {
    const config = loadConfig({});
    expect(config.azure).toEqual({ authorityHost: undefined, sandboxCaPath: undefined });
  });

  it('reads REDAPP_AZURE_AUTHORITY_HOST', () => {
    const config = loadConfig({ REDAPP_AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/' });
    expect(config.azure.authorityHost).toBe('https://login.microsoftonline.us');
  });

  it('rejects an http authority host', () => {
    expect(() => loadConfig({ REDAPP_AZURE_AUTHORITY_HOST: 'http://login.example' })).toThrow(
      /REDAPP_AZURE_AUTHORITY_HOST="http:\/\/login.example" is not an https origin/,
    );
  });

  it('sandbox file sets authority and CA', () => {
    const file = sandboxFile({
      aws,
      azure: { authorityHost: 'https://127.0.0.1:4443/azure', caCertPath: '/tmp/state/azure-tls/ca.pem' },
    });
    const config = loadConfig({ REDAPP_SANDBOX_FILE: file });
    expect(config.azure).toEqual({
      authorityHost: 'https://127.0.0.1:4443/azure',
      sandboxCaPath: '/tmp/state/azure-tls/ca.pem',
    });
  });

  it('sandbox file without azure keeps defaults', () => {
    const config = loadConfig({ REDAPP_SANDBOX_FILE: sandboxFile({ aws }) });
    expect(config.azure.sandboxCaPath).toBeUndefined();
  });
});
