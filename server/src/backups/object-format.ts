/**
 * The backup object format, version 1: streaming AES-256-GCM in fixed-size frames.
 *
 * Byte layout (integers are unsigned big-endian):
 *
 *   header, 53 bytes
 *     offset  size  field
 *          0     4  magic, ASCII "RDBO"
 *          4     1  format version, 1
 *          5     4  backup key version
 *          9     4  frame size F: plaintext bytes in every frame except the last
 *         13    32  HKDF salt, random per object
 *         45     8  nonce prefix, random per object
 *   frames 0 .. n-1, each: ciphertext || 16-byte GCM tag
 *     frames 0 .. n-2 contain exactly F plaintext bytes;
 *     frame n-1, the last frame, contains 0 .. F-1 bytes (an object whose size is a multiple of F, the
 *     empty object included, ends with an empty last frame, so every object has one).
 *
 * Keys and nonces:
 *   object key = HKDF-SHA256(ikm = backup key, salt = header salt,
 *                            info = encodeAad("redapp/backup-object/v1", [backup set id, object id]),
 *                            length = 32)
 *   nonce of frame i = nonce prefix (8 bytes) || i (4 bytes)
 *   AAD of frame i   = header (53 bytes) || i (4 bytes) || last flag (1 byte: 1 for the last frame, else 0)
 *
 * What this detects: the header is in every frame's AAD, so a changed header fails frame 0. The frame
 * index is in the nonce and the AAD, so reordered, dropped or duplicated frames fail. The last flag
 * makes truncation at a frame boundary fail: the stream then ends without a frame sealed as last, and
 * a full-size frame is never last. The backup set id and object id are in the key derivation, so a
 * frame or a whole object from another object or backup set fails.
 *
 * Limits: at most 2^32 frames per object (256 TiB at the default 64 KiB frame). The random salt gives
 * every object its own key, so the nonce prefix guards only against a repeated salt.
 */
import { hkdfSync } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import { encodeAad } from '../keys/aad.js';

export const OBJECT_FORMAT_VERSION = 1;
export const OBJECT_MAGIC = Buffer.from('RDBO', 'ascii');
export const HEADER_BYTES = 53;
export const SALT_BYTES = 32;
export const NONCE_PREFIX_BYTES = 8;
export const TAG_BYTES = 16;
export const DEFAULT_FRAME_SIZE = 64 * 1024;
/** Smaller frames spend more on tags and per-frame work than they save in memory. */
export const MIN_FRAME_SIZE = 1024;
/** Encrypt and decrypt each hold up to one frame; this caps that memory per stream. */
export const MAX_FRAME_SIZE = 16 * 1024 * 1024;
export const MAX_FRAMES = 2 ** 32;

const HKDF_INFO_LABEL = 'redapp/backup-object/v1';

/** The names an object is bound to through its key derivation. */
export interface ObjectIdentity {
  backupSetId: string;
  objectId: string;
}

export interface ObjectHeader {
  formatVersion: number;
  backupKeyVersion: number;
  frameSize: number;
  salt: Buffer;
  noncePrefix: Buffer;
}

export function encodeHeader(header: ObjectHeader): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  OBJECT_MAGIC.copy(bytes, 0);
  bytes.writeUInt8(header.formatVersion, 4);
  bytes.writeUInt32BE(header.backupKeyVersion, 5);
  bytes.writeUInt32BE(header.frameSize, 9);
  header.salt.copy(bytes, 13);
  header.noncePrefix.copy(bytes, 45);
  return bytes;
}

/**
 * Parses a header. Raises BACKUP_OBJECT_DAMAGED for a wrong magic, an unknown format version or a
 * frame size out of bounds; the frames' tags check the rest.
 */
export function decodeHeader(bytes: Buffer, identity: ObjectIdentity): ObjectHeader {
  if (bytes.length < HEADER_BYTES) {
    throw objectDamaged(identity, `the header is truncated (${bytes.length} of ${HEADER_BYTES} bytes)`);
  }
  if (!bytes.subarray(0, 4).equals(OBJECT_MAGIC)) {
    throw objectDamaged(identity, 'the header does not start with the backup object magic "RDBO"');
  }

  const formatVersion = bytes.readUInt8(4);
  if (formatVersion !== OBJECT_FORMAT_VERSION) {
    throw objectDamaged(identity, `the header names format version ${formatVersion}, which is not supported`);
  }

  const frameSize = bytes.readUInt32BE(9);
  if (!isValidFrameSize(frameSize)) {
    throw objectDamaged(identity, `the header names frame size ${frameSize}, which is out of bounds`);
  }

  return {
    formatVersion,
    backupKeyVersion: bytes.readUInt32BE(5),
    frameSize,
    salt: Buffer.from(bytes.subarray(13, 13 + SALT_BYTES)),
    noncePrefix: Buffer.from(bytes.subarray(45, 45 + NONCE_PREFIX_BYTES)),
  };
}

export function isValidFrameSize(frameSize: number): boolean {
  return Number.isInteger(frameSize) && frameSize >= MIN_FRAME_SIZE && frameSize <= MAX_FRAME_SIZE;
}

/** Raises RangeError unless the frame size is an integer from MIN_FRAME_SIZE to MAX_FRAME_SIZE bytes. */
export function assertFrameSize(frameSize: number): void {
  if (!isValidFrameSize(frameSize)) {
    throw new RangeError(
      `Frame size must be an integer from ${MIN_FRAME_SIZE} to ${MAX_FRAME_SIZE} bytes; got ${frameSize}.`,
    );
  }
}

/** Derives the per-object AES-256 key from the backup key. The caller should zero it when done. */
export function deriveObjectKey(backupKey: Buffer, salt: Buffer, identity: ObjectIdentity): Buffer {
  const info = encodeAad(HKDF_INFO_LABEL, [identity.backupSetId, identity.objectId]);
  return Buffer.from(hkdfSync('sha256', backupKey, salt, info, 32));
}

/** Builds per-frame nonces and AADs in reused buffers: each result is valid until the next call. */
export class FrameParameters {
  readonly #nonce = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(HEADER_BYTES + 5);

  constructor(header: Buffer) {
    header.copy(this.#aad, 0, 0, HEADER_BYTES);
    header.copy(this.#nonce, 0, 45, 45 + NONCE_PREFIX_BYTES);
  }

  nonce(frameIndex: number): Buffer {
    this.#nonce.writeUInt32BE(frameIndex, NONCE_PREFIX_BYTES);
    return this.#nonce;
  }

  aad(frameIndex: number, last: boolean): Buffer {
    this.#aad.writeUInt32BE(frameIndex, HEADER_BYTES);
    this.#aad.writeUInt8(last ? 1 : 0, HEADER_BYTES + 4);
    return this.#aad;
  }
}

/** Builds the one error for any damage to a stored object, naming the object and what failed. */
export function objectDamaged(identity: ObjectIdentity, problem: string, cause?: unknown): AppError {
  return new AppError(
    'BACKUP_OBJECT_DAMAGED',
    `Backup object ${identity.objectId} of backup set ${identity.backupSetId} is damaged: ${problem}.`,
    { details: { backupSetId: identity.backupSetId, objectId: identity.objectId }, cause },
  );
}
