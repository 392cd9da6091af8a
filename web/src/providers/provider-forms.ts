import type { ComponentType } from 'react';
import type { ProviderConfig, ProviderType } from '../api/api-types';
import { awsKmsForm } from './aws-kms/aws-kms-form';
import { azureKeyVaultForm } from './azure-key-vault/azure-key-vault-form';
import { cyberSentriqForm } from './cybersentriq/cybersentriq-form';

export interface ProviderFormProps {
  companyId: string;
  config: ProviderConfig;
  onChange(config: ProviderConfig): void;
  disabled: boolean;
}

/**
 * One provider's part of the Manage KMS form. Manage KMS reaches providers only through this
 * interface, so adding Azure Key Vault means adding one definition to providerForms.
 */
export interface ProviderFormDefinition {
  type: ProviderType;
  label: string;
  emptyConfig(): ProviderConfig;
  /** Returns the error of each invalid field; an empty object means the values can be tested. */
  check(config: ProviderConfig): Record<string, string>;
  /** Returns the config as sent to Test connection and Save, e.g. with surrounding spaces removed. */
  toRequestConfig(config: ProviderConfig): ProviderConfig;
  Form: ComponentType<ProviderFormProps>;
}

export const providerForms: readonly ProviderFormDefinition[] = [
  cyberSentriqForm,
  awsKmsForm,
  azureKeyVaultForm,
];

export function findProviderForm(type: string): ProviderFormDefinition | undefined {
  return providerForms.find((definition) => definition.type === type);
}
