import type { ProviderType } from './provider-types.js';

/** Provider names as the console and the knowledge-base article write them. */
export const providerLabels: Record<ProviderType, string> = {
  cybersentriq: 'CyberSentriq-Managed',
  'aws-kms': 'AWS KMS',
  'azure-key-vault': 'Azure Key Vault',
};

export function providerLabel(type: string): string {
  return providerLabels[type as ProviderType] ?? type;
}
