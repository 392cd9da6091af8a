import { useEffect, useRef, useState } from 'react';
import type { ProviderConfig } from '../../api/api-types';
import type { ProviderFormDefinition, ProviderFormProps } from '../provider-forms';
import { ProviderTextField } from '../provider-text-field';
import { AwsKmsSetupPanel, useAwsKmsSetup } from './AwsKmsSetupPanel';
import {
  type AwsKmsConfig,
  type AwsKmsField,
  checkAwsKmsConfig,
  externalIdAdvice,
  trimConfig,
} from './aws-kms-validation';

const fields: { name: AwsKmsField; label: string; id: string; placeholder: string; hint: string }[] = [
  {
    name: 'roleArn',
    label: 'Role ARN',
    id: 'aws-role-arn',
    placeholder: 'arn:aws:iam::123456789012:role/CyberSentriqKmsRole',
    hint: 'The IAM role CyberSentriq assumes in your AWS account.',
  },
  {
    name: 'externalId',
    label: 'External ID',
    id: 'aws-external-id',
    placeholder: '8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c',
    hint: "The External ID in the role's trust policy, character for character.",
  },
  {
    name: 'region',
    label: 'AWS Region',
    id: 'aws-region',
    placeholder: 'us-east-1',
    hint: 'The region the KMS key is in.',
  },
  {
    name: 'keyArn',
    label: 'Key ARN',
    id: 'aws-key-arn',
    placeholder: 'arn:aws:kms:us-east-1:123456789012:key/…',
    hint: 'The full key ARN, not an alias.',
  },
];

function asAwsConfig(config: ProviderConfig): AwsKmsConfig {
  return {
    roleArn: config.roleArn ?? '',
    externalId: config.externalId ?? '',
    region: config.region ?? '',
    keyArn: config.keyArn ?? '',
  };
}

function AwsKmsForm({ companyId, config, onChange, disabled }: ProviderFormProps) {
  const values = asAwsConfig(config);
  const [blurred, setBlurred] = useState<Partial<Record<AwsKmsField, boolean>>>({});
  const errors = checkAwsKmsConfig(values);

  function update(name: AwsKmsField, value: string) {
    onChange({ ...values, [name]: value });
  }

  const setup = useAwsKmsSetup(companyId);
  // The setup command carries the platform's suggested External ID, so the field starts with it,
  // once, and only when the admin has not typed one.
  const suggested = useRef(false);
  useEffect(() => {
    if (suggested.current || !setup.data) return;
    suggested.current = true;
    if (values.externalId === '') onChange({ ...values, externalId: setup.data.externalId });
  }, [setup.data, values, onChange]);

  return (
    <div data-testid="aws-kms-form">
      <AwsKmsSetupPanel setup={setup} />
      <fieldset className="fieldset" disabled={disabled}>
        <legend>Values from your AWS admin</legend>
        {fields.map((field) => {
          const value = values[field.name];
          // An error shows while typing once the field has text, and for an empty field after leaving it.
          const error = value !== '' || blurred[field.name] ? errors[field.name] : undefined;
          const advice = field.name === 'externalId' ? externalIdAdvice(value.trim()) : undefined;
          return (
            <ProviderTextField
              key={field.name}
              id={field.id}
              name={field.name}
              label={field.label}
              hint={field.hint}
              advice={advice}
              placeholder={field.placeholder}
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

export const awsKmsForm: ProviderFormDefinition = {
  type: 'aws-kms',
  label: 'AWS KMS',
  emptyConfig: () => ({ roleArn: '', externalId: '', region: '', keyArn: '' }),
  check: (config) => checkAwsKmsConfig(asAwsConfig(config)) as Record<string, string>,
  toRequestConfig: (config) => ({ ...trimConfig(asAwsConfig(config)) }),
  Form: AwsKmsForm,
};
