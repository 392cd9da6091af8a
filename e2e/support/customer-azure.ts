import type { SandboxJson } from './processes.js';

/** The five values of the console's Azure Key Vault form, as Test connection and Save take them. */
export interface AzureKeyVaultValues {
  vaultUrl: string;
  keyName: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Calls the Azure stand-in's admin API, which does what a customer's Azure admin does in the portal.
 * Raises an error with the status and body when the stand-in rejects the request.
 */
async function azureAdmin<T>(sandbox: SandboxJson, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sandbox.azure.adminEndpoint}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`The Azure stand-in rejected ${method} ${path} with status ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Sets up what the customer's Azure admin hands over: a new RSA key in the stand-in's vault and a new
 * app registration with Key Vault Crypto Service Encryption User on that key (get, wrapKey, unwrapKey).
 */
export async function createCustomerAzureKey(sandbox: SandboxJson, keyName: string) {
  const app = await azureAdmin<{ clientId: string; clientSecret: string }>(sandbox, 'POST', '/apps', {
    displayName: 'CyberSentriq key access',
  });
  const key = await azureAdmin<{ name: string; keyId: string }>(sandbox, 'POST', '/keys', {
    name: keyName,
    kty: 'RSA',
    keySize: 2048,
  });
  const assignment = await azureAdmin<{ id: string }>(sandbox, 'POST', '/role-assignments', {
    clientId: app.clientId,
    keyName: key.name,
    role: 'Key Vault Crypto Service Encryption User',
  });
  const values: AzureKeyVaultValues = {
    vaultUrl: sandbox.azure.vaultUrl,
    keyName: key.name,
    tenantId: sandbox.azure.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
  };
  return { values, keyId: key.keyId, assignmentId: assignment.id };
}

/** Enables or disables the current version of a key in the stand-in's vault. */
export async function setAzureKeyEnabled(sandbox: SandboxJson, keyName: string, enabled: boolean) {
  await azureAdmin(sandbox, 'PATCH', `/keys/${encodeURIComponent(keyName)}`, { enabled });
}
