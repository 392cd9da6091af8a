import { kmsError } from '../aws-error.js';
import type { EncryptionContext } from './kms-crypto.js';

export type JsonParams = Record<string, unknown>;

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function validationException(message: string) {
  return kmsError('ValidationException', message);
}

export function requiredString(params: JsonParams, name: string): string {
  const value = params[name];
  if (value === undefined || value === null) {
    throw validationException(
      `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string') throw kmsError('SerializationException', `${name} must be a string.`);
  if (value.length === 0) {
    throw validationException(
      `1 validation error detected: Value '' at '${lowerFirst(name)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return value;
}

export function optionalString(params: JsonParams, name: string): string | undefined {
  if (params[name] === undefined || params[name] === null) return undefined;
  return requiredString(params, name);
}

export function optionalInteger(params: JsonParams, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw kmsError('SerializationException', `${name} must be an integer.`);
  return value;
}

export function optionalBoolean(params: JsonParams, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw kmsError('SerializationException', `${name} must be a boolean.`);
  return value;
}

/** Decodes a base64 blob member (JSON 1.1 sends blobs as base64 strings). */
export function requiredBlob(params: JsonParams, name: string, maxBytes: number): Buffer {
  const text = requiredString(params, name);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw kmsError('SerializationException', `${name} is not valid base64.`);
  const blob = Buffer.from(text, 'base64');
  if (blob.length === 0 || blob.length > maxBytes) {
    throw validationException(
      `1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: Member must have length less than or equal to ${maxBytes}`,
    );
  }
  return blob;
}

export function encryptionContext(params: JsonParams, name = 'EncryptionContext'): EncryptionContext {
  const value = params[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw kmsError('SerializationException', `${name} must be a map.`);
  for (const entry of Object.values(value)) {
    if (typeof entry !== 'string')
      throw kmsError('SerializationException', `${name} values must be strings.`);
  }
  return value as EncryptionContext;
}

export function oneOf(value: string | undefined, name: string, allowed: string[]): string | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw validationException(
    `1 validation error detected: Value '${value}' at '${lowerFirst(name)}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
  );
}
