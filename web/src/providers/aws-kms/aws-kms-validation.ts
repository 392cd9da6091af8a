// Input checks for the AWS KMS form, run as the admin types. The server repeats them in Test
// connection and Save; these exist so a typo is caught before a round trip.

export interface AwsKmsConfig {
  roleArn: string;
  externalId: string;
  region: string;
  keyArn: string;
}

export type AwsKmsField = keyof AwsKmsConfig;

export type AwsKmsFieldErrors = Partial<Record<AwsKmsField, string>>;

const partition = 'aws(?:-cn|-us-gov)?';
const regionPattern = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';

// IAM allows letters, digits and +=,.@_- in role names (at most 64 characters) and path segments.
const roleArnShape = new RegExp(
  `^arn:${partition}:iam::(\\d{12}):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$`,
);
const keyArnShape = new RegExp(
  `^arn:${partition}:kms:(${regionPattern}):(\\d{12}):key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
);
const regionShape = new RegExp(`^${regionPattern}$`);
// The pattern of the ExternalId parameter of STS AssumeRole: 2 to 1224 characters of [\w+=,.@:/-].
const externalIdShape = /^[\w+=,.@:/-]{2,1224}$/;
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const expectedShapes: Record<AwsKmsField, string> = {
  roleArn: 'arn:aws:iam::<12-digit account>:role/<role name>',
  externalId: '2 to 1224 characters: letters, digits and + = , . @ : / - (a UUID is recommended)',
  region: 'a region code such as us-east-1',
  keyArn: 'arn:aws:kms:<region>:<12-digit account>:key/<key id>',
};

export function checkRoleArn(value: string): string | undefined {
  if (value === '') return 'Enter the Role ARN.';
  if (/^arn:aws[^:]*:iam::\d{12}:user\//.test(value)) {
    return 'This is an IAM user ARN. Enter the ARN of the role your AWS admin created, e.g. arn:aws:iam::123456789012:role/CyberSentriqKmsRole.';
  }
  if (!roleArnShape.test(value))
    return `The Role ARN is not an IAM role ARN. Expected ${expectedShapes.roleArn}.`;
  return undefined;
}

export function checkExternalId(value: string): string | undefined {
  if (value === '') return 'Enter the External ID.';
  if (value.length < 2) return 'The External ID is too short: it needs at least 2 characters.';
  if (value.length > 1224) return `The External ID is too long: ${value.length} characters, at most 1224.`;
  if (!externalIdShape.test(value)) {
    return 'The External ID contains a character AWS does not allow. Use only letters, digits and + = , . @ : / -.';
  }
  return undefined;
}

/** Returns advice, not an error: AWS accepts any External ID of the right syntax. */
export function externalIdAdvice(value: string): string | undefined {
  if (value === '' || checkExternalId(value) || uuidShape.test(value)) return undefined;
  return 'A UUID is recommended, such as the one the setup script generates.';
}

export function checkRegion(value: string): string | undefined {
  if (value === '') return 'Enter the AWS Region.';
  if (!regionShape.test(value))
    return `The AWS Region "${value}" is not a region code. Expected ${expectedShapes.region}.`;
  return undefined;
}

export function checkKeyArn(value: string): string | undefined {
  if (value === '') return 'Enter the Key ARN.';
  if (/^arn:aws[^:]*:kms:[^:]*:\d{12}:alias\//.test(value) || value.startsWith('alias/')) {
    return `This is a key alias. Enter the full key ARN instead: ${expectedShapes.keyArn}.`;
  }
  if (!keyArnShape.test(value)) return `The Key ARN is not a KMS key ARN. Expected ${expectedShapes.keyArn}.`;
  return undefined;
}

/** Returns the region inside a well-formed key ARN, or undefined when the ARN is malformed. */
export function keyArnRegion(keyArn: string): string | undefined {
  return keyArnShape.exec(keyArn)?.[1];
}

/** Checks that the key ARN's region equals the Region field, because AWS returns "KMS key not found" otherwise. */
export function checkRegionMatch(config: Pick<AwsKmsConfig, 'region' | 'keyArn'>): string | undefined {
  const keyRegion = keyArnRegion(config.keyArn);
  if (!keyRegion || checkRegion(config.region)) return undefined;
  if (keyRegion === config.region) return undefined;
  return `The Key ARN is in region ${keyRegion} but the AWS Region field says ${config.region}. Use the region the key is in.`;
}

/** Checks every field of the form after removing surrounding spaces, which pasted values often carry. */
export function checkAwsKmsConfig(config: AwsKmsConfig): AwsKmsFieldErrors {
  const trimmed = trimConfig(config);
  const errors: AwsKmsFieldErrors = {
    roleArn: checkRoleArn(trimmed.roleArn),
    externalId: checkExternalId(trimmed.externalId),
    region: checkRegion(trimmed.region),
    keyArn: checkKeyArn(trimmed.keyArn) ?? checkRegionMatch(trimmed),
  };
  for (const field of Object.keys(errors) as AwsKmsField[]) {
    if (errors[field] === undefined) delete errors[field];
  }
  return errors;
}

export function trimConfig(config: AwsKmsConfig): AwsKmsConfig {
  return {
    roleArn: config.roleArn.trim(),
    externalId: config.externalId.trim(),
    region: config.region.trim(),
    keyArn: config.keyArn.trim(),
  };
}
