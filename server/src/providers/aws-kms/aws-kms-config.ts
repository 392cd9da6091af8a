import { AppError, invalidInput } from '../../errors/app-error.js';

/** The four values the customer pastes into RedApp. */
export interface AwsKmsConfig {
  roleArn: string;
  externalId: string;
  region: string;
  keyArn: string;
}

const partition = 'aws(?:-[a-z]+)*';
const roleArnPattern = new RegExp(
  `^arn:${partition}:iam::(\\d{12}):role/(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`,
);
const keyArnPattern = new RegExp(
  `^arn:${partition}:kms:([a-z]{2}(?:-[a-z]+)+-\\d):(\\d{12}):key/((?:mrk-)?[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
);
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
/** AWS's External ID syntax: 2–1224 characters of letters, digits and +=,.@:/- (no spaces, no underscore). */
const externalIdPattern = /^[A-Za-z0-9+=,.@:/-]{2,1224}$/;

export function accountOfRoleArn(roleArn: string): string | undefined {
  return roleArnPattern.exec(roleArn)?.[1];
}

export function regionOfKeyArn(keyArn: string): string | undefined {
  return keyArnPattern.exec(keyArn)?.[1];
}

export function accountOfKeyArn(keyArn: string): string | undefined {
  return keyArnPattern.exec(keyArn)?.[2];
}

function readString(input: Record<string, unknown>, field: keyof AwsKmsConfig): string {
  const value = input[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(field, 'is missing', 'a non-empty string');
  }
  return value.trim();
}

/**
 * Checks the four values and returns them trimmed. Raises INVALID_INPUT naming the field and its
 * expected shape, or KEY_NOT_FOUND naming both regions when the key ARN is in another region than
 * the Region field (the article's "key is in a different region from what you entered").
 */
export function parseAwsKmsConfig(input: unknown): AwsKmsConfig {
  if (input === null || typeof input !== 'object') throw invalidInput('config', 'is missing', 'an object');
  const raw = input as Record<string, unknown>;
  const config: AwsKmsConfig = {
    roleArn: readString(raw, 'roleArn'),
    externalId: readString(raw, 'externalId'),
    region: readString(raw, 'region'),
    keyArn: readString(raw, 'keyArn'),
  };

  if (!roleArnPattern.test(config.roleArn)) {
    throw invalidInput(
      'roleArn',
      `"${config.roleArn}" is not an IAM role ARN`,
      'arn:aws:iam::123456789012:role/CyberSentriqKmsRole',
    );
  }
  if (!externalIdPattern.test(config.externalId)) {
    throw invalidInput(
      'externalId',
      `has ${config.externalId.length} characters or characters AWS does not allow`,
      '2 to 1224 letters, digits or +=,.@:/- (the UUID the setup script printed)',
    );
  }
  if (!regionPattern.test(config.region)) {
    throw invalidInput('region', `"${config.region}" is not an AWS region`, 'a region such as us-east-1');
  }
  if (config.keyArn.includes(':alias/')) {
    throw invalidInput(
      'keyArn',
      `"${config.keyArn}" is an alias ARN`,
      'the key ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID',
    );
  }
  const keyRegion = regionOfKeyArn(config.keyArn);
  if (keyRegion === undefined) {
    throw invalidInput(
      'keyArn',
      `"${config.keyArn}" is not a KMS key ARN`,
      'arn:aws:kms:us-east-1:123456789012:key/KEY-ID',
    );
  }
  if (keyRegion !== config.region) {
    throw new AppError(
      'KEY_NOT_FOUND',
      `KMS key not found: the key ARN is in region ${keyRegion} but the AWS Region field says ${config.region}.`,
      {
        fix: `Set the AWS Region to ${keyRegion} if that is where the key is, or use the ARN of a key in ${config.region}.`,
        details: { field: 'region', keyRegion, region: config.region },
      },
    );
  }
  return config;
}
