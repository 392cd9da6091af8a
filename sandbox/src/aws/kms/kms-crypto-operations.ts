import { randomBytes } from 'node:crypto';
import { requireAccess } from '../access.js';
import { kmsError } from '../aws-error.js';
import type { AwsOperation, AwsRequestContext } from '../aws-service.js';
import type { KeyRecord } from '../state/state-types.js';
import {
  CiphertextError,
  ciphertextKeyArn,
  decryptSymmetric,
  type EncryptionContext,
  encryptSymmetric,
  publicKeyDer,
  rsaDecrypt,
  rsaEncrypt,
  rsaMaxPlaintext,
} from './kms-crypto.js';
import {
  encryptionAlgorithms,
  type KeyReference,
  requireKeyAccess,
  requireUsable,
  resolveKey,
} from './kms-keys.js';
import {
  encryptionContext,
  type JsonParams,
  oneOf,
  optionalInteger,
  optionalString,
  requiredBlob,
  requiredString,
  validationException,
} from './kms-params.js';

const ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'];
const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

const invalidCiphertext = () => kmsError('InvalidCiphertextException', '');

function requireAlgorithm(key: KeyRecord, algorithm: string): void {
  if (!(encryptionAlgorithms(key) ?? []).includes(algorithm)) {
    throw kmsError(
      'InvalidKeyUsageException',
      `You cannot use a KMS key with key spec ${key.keySpec} and key usage ${key.keyUsage} with the ${algorithm} encryption algorithm.`,
    );
  }
}

function encryptWith(
  key: KeyRecord,
  algorithm: string,
  plaintext: Buffer,
  context: EncryptionContext,
): Buffer {
  if (algorithm === 'SYMMETRIC_DEFAULT')
    return encryptSymmetric(key.arn, Buffer.from(key.material, 'base64'), plaintext, context);
  if (plaintext.length > rsaMaxPlaintext(key.keySpec, algorithm)) {
    throw validationException(
      `Plaintext exceeds the ${rsaMaxPlaintext(key.keySpec, algorithm)} bytes ${algorithm} accepts with ${key.keySpec}.`,
    );
  }
  return rsaEncrypt(key.material, algorithm, plaintext);
}

function algorithmParam(params: JsonParams, name: string): string {
  return oneOf(optionalString(params, name), name, ALGORITHMS) ?? 'SYMMETRIC_DEFAULT';
}

/** Encrypts for a KeyId after authorization and the key state and usage checks, in KMS's order. */
function encryptFor(
  context: AwsRequestContext,
  reference: KeyReference,
  operation: string,
  algorithm: string,
  plaintext: Buffer,
  encryption: EncryptionContext,
): { key: KeyRecord; blob: Buffer } {
  const key = requireKeyAccess(context, reference, {
    operation,
    encryptionContext: encryption,
    extraKeys: new Map([['kms:encryptionalgorithm', [algorithm]]]),
  });
  requireUsable(key);
  requireAlgorithm(key, algorithm);
  return { key, blob: encryptWith(key, algorithm, plaintext, encryption) };
}

interface Decrypted {
  key: KeyRecord;
  plaintext: Buffer;
  algorithm: string;
}

/**
 * Decrypts a blob. Symmetric blobs name their key, so KeyId is optional, and a KeyId naming another key gives
 * IncorrectKeyException. Asymmetric ciphertexts need the KeyId.
 */
function decryptFor(
  context: AwsRequestContext,
  blob: Buffer,
  keyIdParam: string | undefined,
  algorithm: string,
  encryption: EncryptionContext,
  operation: string,
): Decrypted {
  const requested =
    keyIdParam === undefined ? undefined : resolveKey(context, keyIdParam, { allowAlias: true });

  if (algorithm !== 'SYMMETRIC_DEFAULT') {
    if (!requested) throw validationException('KeyId is required to decrypt with an asymmetric KMS key.');
    const key = requireKeyAccess(context, requested, { operation, encryptionContext: encryption });
    requireUsable(key);
    requireAlgorithm(key, algorithm);
    return { key, plaintext: rsaDecrypt(key.material, algorithm, blob), algorithm };
  }

  let embeddedArn: string;
  try {
    embeddedArn = ciphertextKeyArn(blob);
  } catch (error) {
    if (error instanceof CiphertextError) throw invalidCiphertext();
    throw error;
  }
  let embedded: KeyReference;
  try {
    embedded = resolveKey(context, embeddedArn, { allowAlias: false });
  } catch (error) {
    // A blob made in another region names a key that does not exist here: KMS reports the blob as invalid.
    if (error instanceof Error && 'code' in error && error.code === 'NotFoundException')
      throw invalidCiphertext();
    throw error;
  }
  if (requested && requested.arn !== embedded.arn) {
    throw kmsError(
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
  }
  const key = requireKeyAccess(context, embedded, { operation, encryptionContext: encryption });
  requireUsable(key);
  requireAlgorithm(key, algorithm);
  try {
    return {
      key,
      plaintext: decryptSymmetric(blob, Buffer.from(key.material, 'base64'), encryption),
      algorithm,
    };
  } catch (error) {
    if (error instanceof CiphertextError) throw invalidCiphertext();
    throw error;
  }
}

function dataKeyLength(params: JsonParams): number {
  const keySpec = oneOf(optionalString(params, 'KeySpec'), 'KeySpec', ['AES_256', 'AES_128']);
  const numberOfBytes = optionalInteger(params, 'NumberOfBytes');
  if (keySpec !== undefined && numberOfBytes !== undefined) {
    throw validationException('Please specify either number of bytes or key spec.');
  }
  if (keySpec === undefined && numberOfBytes === undefined) {
    throw validationException('Please specify either number of bytes or key spec.');
  }
  if (numberOfBytes !== undefined && (numberOfBytes < 1 || numberOfBytes > 1024)) {
    throw validationException(
      `1 validation error detected: Value '${numberOfBytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024`,
    );
  }
  return numberOfBytes ?? (keySpec === 'AES_128' ? 16 : 32);
}

function generateDataKey(context: AwsRequestContext, params: JsonParams, operation: string) {
  const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: true });
  const length = dataKeyLength(params);
  const plaintext = randomBytes(length);
  const { key, blob } = encryptFor(
    context,
    reference,
    operation,
    'SYMMETRIC_DEFAULT',
    plaintext,
    encryptionContext(params),
  );
  return { key, blob, plaintext };
}

export const cryptoOperations: Record<string, AwsOperation<JsonParams>> = {
  Encrypt: {
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: true });
      const plaintext = requiredBlob(params, 'Plaintext', MAX_PLAINTEXT);
      const algorithm = algorithmParam(params, 'EncryptionAlgorithm');
      const { key, blob } = encryptFor(
        context,
        reference,
        'Encrypt',
        algorithm,
        plaintext,
        encryptionContext(params),
      );
      return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: algorithm };
    },
  },

  Decrypt: {
    handle(context, params) {
      const blob = requiredBlob(params, 'CiphertextBlob', MAX_CIPHERTEXT);
      const algorithm = algorithmParam(params, 'EncryptionAlgorithm');
      const result = decryptFor(
        context,
        blob,
        optionalString(params, 'KeyId'),
        algorithm,
        encryptionContext(params),
        'Decrypt',
      );
      return {
        KeyId: result.key.arn,
        Plaintext: result.plaintext.toString('base64'),
        EncryptionAlgorithm: result.algorithm,
      };
    },
  },

  ReEncrypt: {
    handle(context, params) {
      const blob = requiredBlob(params, 'CiphertextBlob', MAX_CIPHERTEXT);
      const sourceAlgorithm = algorithmParam(params, 'SourceEncryptionAlgorithm');
      const destinationAlgorithm = algorithmParam(params, 'DestinationEncryptionAlgorithm');
      const destination = resolveKey(context, requiredString(params, 'DestinationKeyId'), {
        allowAlias: true,
      });
      const source = decryptFor(
        context,
        blob,
        optionalString(params, 'SourceKeyId'),
        sourceAlgorithm,
        encryptionContext(params, 'SourceEncryptionContext'),
        'ReEncryptFrom',
      );
      const { key, blob: reencrypted } = encryptFor(
        context,
        destination,
        'ReEncryptTo',
        destinationAlgorithm,
        source.plaintext,
        encryptionContext(params, 'DestinationEncryptionContext'),
      );
      return {
        CiphertextBlob: reencrypted.toString('base64'),
        SourceKeyId: source.key.arn,
        KeyId: key.arn,
        SourceEncryptionAlgorithm: sourceAlgorithm,
        DestinationEncryptionAlgorithm: destinationAlgorithm,
      };
    },
  },

  GenerateDataKey: {
    handle(context, params) {
      const { key, blob, plaintext } = generateDataKey(context, params, 'GenerateDataKey');
      return {
        CiphertextBlob: blob.toString('base64'),
        Plaintext: plaintext.toString('base64'),
        KeyId: key.arn,
      };
    },
  },

  GenerateDataKeyWithoutPlaintext: {
    handle(context, params) {
      const { key, blob } = generateDataKey(context, params, 'GenerateDataKeyWithoutPlaintext');
      return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn };
    },
  },

  GenerateRandom: {
    handle(context, params) {
      const length = optionalInteger(params, 'NumberOfBytes') ?? 32;
      if (length < 1 || length > 1024) throw validationException('NumberOfBytes must be between 1 and 1024.');
      requireAccess(
        context,
        { action: 'kms:GenerateRandom', resource: '*', resourceAccountId: context.caller.accountId },
        'kms',
      );
      return { Plaintext: randomBytes(length).toString('base64') };
    },
  },

  GetPublicKey: {
    handle(context, params) {
      const reference = resolveKey(context, requiredString(params, 'KeyId'), { allowAlias: true });
      const key = requireKeyAccess(context, reference, { operation: 'GetPublicKey' });
      requireUsable(key);
      if (key.keySpec === 'SYMMETRIC_DEFAULT' || key.keySpec.startsWith('HMAC_')) {
        throw kmsError(
          'UnsupportedOperationException',
          `${key.arn} key usage does not support GetPublicKey.`,
        );
      }
      return {
        KeyId: key.arn,
        PublicKey: publicKeyDer(key.material).toString('base64'),
        CustomerMasterKeySpec: key.keySpec,
        KeySpec: key.keySpec,
        KeyUsage: key.keyUsage,
        EncryptionAlgorithms: encryptionAlgorithms(key),
      };
    },
  },
};
