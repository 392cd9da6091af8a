import { describe, expect, it } from 'vitest';
import {
  checkAwsKmsConfig,
  checkExternalId,
  checkKeyArn,
  checkRegion,
  checkRegionMatch,
  checkRoleArn,
  externalIdAdvice,
  keyArnRegion,
} from '../src/providers/aws-kms/aws-kms-validation';

const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
const validConfig = {
  roleArn: 'arn:aws:iam::555555555555:role/CyberSentriqKmsRole',
  externalId: '8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c',
  region: 'us-east-1',
  keyArn: `arn:aws:kms:us-east-1:555555555555:key/${keyId}`,
};

describe('checkRoleArn', () => {
  it.each([
    'arn:aws:iam::123456789012:role/CyberSentriqKmsRole',
    'arn:aws:iam::123456789012:role/service-role/team/My+Role=1,a.b@c-d_e',
    'arn:aws-us-gov:iam::123456789012:role/R1',
  ])('accepts %s', (arn) => {
    expect(checkRoleArn(arn)).toBeUndefined();
  });

  it.each([
    ['account of 11 digits', 'arn:aws:iam::12345678901:role/R'],
    ['region in an IAM ARN', 'arn:aws:iam:us-east-1:123456789012:role/R'],
    ['KMS service', 'arn:aws:kms::123456789012:role/R'],
    ['missing role name', 'arn:aws:iam::123456789012:role/'],
    ['space in the name', 'arn:aws:iam::123456789012:role/My Role'],
    ['role name of 65 characters', `arn:aws:iam::123456789012:role/${'r'.repeat(65)}`],
    ['bare role name', 'CyberSentriqKmsRole'],
  ])('rejects %s', (_case, arn) => {
    expect(checkRoleArn(arn)).toMatch(/not an IAM role ARN/);
  });

  it('names a user ARN as such', () => {
    expect(checkRoleArn('arn:aws:iam::156214480941:user/cybersentriq-kms-connector')).toMatch(/IAM user ARN/);
  });

  it('asks for an empty value', () => {
    expect(checkRoleArn('')).toBe('Enter the Role ARN.');
  });
});

describe('checkKeyArn', () => {
  it.each([
    `arn:aws:kms:us-east-1:123456789012:key/${keyId}`,
    `arn:aws:kms:eu-central-1:123456789012:key/${keyId}`,
    'arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef',
    `arn:aws-cn:kms:cn-north-1:123456789012:key/${keyId}`,
  ])('accepts %s', (arn) => {
    expect(checkKeyArn(arn)).toBeUndefined();
  });

  it.each([
    ['missing region', `arn:aws:kms::123456789012:key/${keyId}`],
    ['short account', `arn:aws:kms:us-east-1:1234:key/${keyId}`],
    ['truncated key id', 'arn:aws:kms:us-east-1:123456789012:key/abcd1234'],
    ['upper-case key id', `arn:aws:kms:us-east-1:123456789012:key/${keyId.toUpperCase()}`],
    ['IAM service', `arn:aws:iam:us-east-1:123456789012:key/${keyId}`],
    ['bare key id', keyId],
  ])('rejects %s', (_case, arn) => {
    expect(checkKeyArn(arn)).toMatch(/not a KMS key ARN/);
  });

  it.each(['arn:aws:kms:us-east-1:123456789012:alias/cybersentriq-byok', 'alias/cybersentriq-byok'])(
    'names alias %s as an alias',
    (alias) => {
      expect(checkKeyArn(alias)).toMatch(/key alias/);
    },
  );
});

describe('checkRegion', () => {
  it.each(['us-east-1', 'eu-west-2', 'ap-southeast-3', 'us-gov-west-1', 'cn-northwest-1'])(
    'accepts %s',
    (region) => {
      expect(checkRegion(region)).toBeUndefined();
    },
  );

  it.each(['us-east', 'US-EAST-1', 'useast1', 'us_east_1', 'us-east-1a', 'eu'])('rejects %s', (region) => {
    expect(checkRegion(region)).toMatch(/not a region code/);
  });
});

describe('checkExternalId', () => {
  it.each([validConfig.externalId, 'ab', 'a+b=c,d.e@f:g/h-i_j', 'x'.repeat(1224)])(
    'accepts %s',
    (externalId) => {
      expect(checkExternalId(externalId)).toBeUndefined();
    },
  );

  it('rejects one character', () => {
    expect(checkExternalId('a')).toMatch(/too short/);
  });

  it('rejects 1225 characters', () => {
    expect(checkExternalId('x'.repeat(1225))).toMatch(/too long: 1225/);
  });

  it.each(['has space', 'semi;colon', 'star*', 'ümlaut'])('rejects %s', (externalId) => {
    expect(checkExternalId(externalId)).toMatch(/character AWS does not allow/);
  });

  it('recommends a UUID without rejecting', () => {
    expect(externalIdAdvice('my-external-id')).toMatch(/UUID is recommended/);
    expect(externalIdAdvice(validConfig.externalId)).toBeUndefined();
  });
});

describe('checkRegionMatch', () => {
  it('accepts a key in the Region field', () => {
    expect(checkRegionMatch(validConfig)).toBeUndefined();
  });

  it('names both regions on a mismatch', () => {
    const message = checkRegionMatch({ ...validConfig, region: 'eu-west-1' });
    expect(message).toMatch(/us-east-1/);
    expect(message).toMatch(/eu-west-1/);
  });

  it('waits for a well-formed region and key ARN', () => {
    expect(checkRegionMatch({ ...validConfig, region: 'eu-' })).toBeUndefined();
    expect(checkRegionMatch({ ...validConfig, keyArn: 'arn:aws:kms:us-west-2:5555' })).toBeUndefined();
  });

  it('reads the region of a key ARN', () => {
    expect(keyArnRegion(validConfig.keyArn)).toBe('us-east-1');
    expect(keyArnRegion('alias/x')).toBeUndefined();
  });
});

describe('checkAwsKmsConfig', () => {
  it('accepts a valid config', () => {
    expect(checkAwsKmsConfig(validConfig)).toEqual({});
  });

  it('ignores surrounding spaces of pasted values', () => {
    expect(checkAwsKmsConfig({ ...validConfig, roleArn: ` ${validConfig.roleArn}\n` })).toEqual({});
  });

  it('reports the region mismatch on the Key ARN', () => {
    const errors = checkAwsKmsConfig({ ...validConfig, region: 'eu-west-1' });
    expect(Object.keys(errors)).toEqual(['keyArn']);
    expect(errors.keyArn).toMatch(/us-east-1.*eu-west-1/);
  });

  it('reports every empty field', () => {
    const errors = checkAwsKmsConfig({ roleArn: '', externalId: '', region: '', keyArn: '' });
    expect(Object.keys(errors).sort()).toEqual(['externalId', 'keyArn', 'region', 'roleArn']);
  });
});
