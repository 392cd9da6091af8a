import type { AwsService } from '../aws-service.js';
import { aliasOperations } from './kms-alias-operations.js';
import { cryptoOperations } from './kms-crypto-operations.js';
import { grantOperations } from './kms-grant-operations.js';
import { keyOperations } from './kms-key-operations.js';
import type { JsonParams } from './kms-params.js';

export const kmsService: AwsService<JsonParams> = {
  signingName: 'kms',
  protocol: 'json',
  operations: { ...keyOperations, ...cryptoOperations, ...aliasOperations, ...grantOperations },
};
