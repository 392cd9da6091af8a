import { useState } from 'react';
import type { ProviderConfig } from '../../api/api-types';
import type { ProviderFormDefinition, ProviderFormProps } from '../provider-forms';
import { ProviderTextField } from '../provider-text-field';
import {
  type AzureKeyVaultField,
  type AzureKeyVaultFormConfig,
  checkAzureKeyVaultConfig,
  trimAzureConfig,
  vaultUrlAdvice,
} from './azure-key-vault-validation';

const fields: {
  name: AzureKeyVaultField;
  label: string;
  id: string;
  placeholder: string;
  hint: string;
  secret?: boolean;
}[] = [
  {
    name: 'vaultUrl',
    label: 'Vault URL',
    id: 'azure-vault-url',
    placeholder: 'https://contoso-backup.vault.azure.net',
    hint: "The Vault URI from the key vault's Overview page.",
  },
  {
    name: 'keyName',
    label: 'Key name',
    id: 'azure-key-name',
    placeholder: 'cybersentriq-company-key',
    hint: 'An RSA key of 2048 bits or more. RedApp pins its current version when you save.',
  },
  {
    name: 'tenantId',
    label: 'Directory (tenant) ID',
    id: 'azure-tenant-id',
    placeholder: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    hint: "From the app registration's Overview page.",
  },
  {
    name: 'clientId',
    label: 'Application (client) ID',
    id: 'azure-client-id',
    placeholder: '5b2b9f3c-1d4e-4a6f-9b8c-7e6d5c4b3a21',
    hint: 'The app registration with the Key Vault Crypto Service Encryption User role on the key.',
  },
  {
    name: 'clientSecret',
    label: 'Client secret',
    id: 'azure-client-secret',
    placeholder: '',
    hint: 'The secret Value from Certificates & secrets. RedApp stores it encrypted and never shows it again.',
    secret: true,
  },
];

function asAzureConfig(config: ProviderConfig): AzureKeyVaultFormConfig {
  return {
    vaultUrl: config.vaultUrl ?? '',
    keyName: config.keyName ?? '',
    tenantId: config.tenantId ?? '',
    clientId: config.clientId ?? '',
    clientSecret: config.clientSecret ?? '',
  };
}

function AzureKeyVaultForm({ config, onChange, disabled }: ProviderFormProps) {
  const values = asAzureConfig(config);
  const [blurred, setBlurred] = useState<Partial<Record<AzureKeyVaultField, boolean>>>({});
  const errors = checkAzureKeyVaultConfig(values);

  function update(name: AzureKeyVaultField, value: string) {
    onChange({ ...values, [name]: value });
  }

  return (
    <div data-testid="azure-key-vault-form">
      <fieldset className="fieldset" disabled={disabled}>
        <legend>Values from your Azure admin</legend>
        {fields.map((field) => {
          const value = values[field.name];
          // An error shows while typing once the field has text, and for an empty field after leaving it.
          const error = value !== '' || blurred[field.name] ? errors[field.name] : undefined;
          const advice =
            field.name === 'vaultUrl' ? vaultUrlAdvice(trimAzureConfig(values).vaultUrl) : undefined;
          return (
            <ProviderTextField
              key={field.name}
              id={field.id}
              name={field.name}
              label={field.label}
              hint={field.hint}
              advice={advice}
              placeholder={field.placeholder}
              secret={field.secret}
              value={value}
              error={error}
              onChange={(next) => update(field.name, next)}
              onBlur={() => setBlurred((current) => ({ ...current, [field.name]: true }))}
            />
          );
        })}
      </fieldset>
    </div>
  );
}

export const azureKeyVaultForm: ProviderFormDefinition = {
  type: 'azure-key-vault',
  label: 'Azure Key Vault',
  emptyConfig: () => ({ vaultUrl: '', keyName: '', tenantId: '', clientId: '', clientSecret: '' }),
  check: (config) => checkAzureKeyVaultConfig(asAzureConfig(config)) as Record<string, string>,
  toRequestConfig: (config) => ({ ...trimAzureConfig(asAzureConfig(config)) }),
  Form: AzureKeyVaultForm,
};
