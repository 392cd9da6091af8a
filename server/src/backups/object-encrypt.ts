/**
 * Encrypts a backup object into the framed format described in object-format.ts, as a stream.
 *
 * Memory: at most one frame of plaintext (references to the input chunks, not copies) plus the frame
 * being pushed downstream, whatever the object size. The input chunks must not be changed after they
 * are written, as Node's stream contract already requires.
 */
import { createCipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { assertKeyLength } from '../keys/aes-gcm.js';
import {
  assertFrameSize,
  DEFAULT_FRAME_SIZE,
  deriveObjectKey,
  encodeHeader,
  FrameParameters,
  MAX_FRAMES,
  NONCE_PREFIX_BYTES,
  OBJECT_FORMAT_VERSION,
  type ObjectIdentity,
  SALT_BYTES,
  TAG_BYTES,
} from './object-format.js';

export interface EncryptObjectOptions extends ObjectIdentity {
  /** The backup set's 32-byte backup key. The stream does not change or zero this buffer. */
  backupKey: Buffer;
  backupKeyVersion: number;
  /** Plaintext bytes per frame, from MIN_FRAME_SIZE to MAX_FRAME_SIZE. Default 64 KiB. */
  frameSize?: number;
  /**
   * Fixed salt and nonce prefix, for known-answer tests only. Production code must leave this unset:
   * a repeated salt with the same backup key and ids repeats the object key and every nonce.
   */
  fixedRandomnessForTests?: { salt: Buffer; noncePrefix: Buffer };
}

/**
 * Seals plaintext into frames. `write` returns the output produced so far (the header first), and
 * `end` returns the rest, ending with the last frame.
 */
export class ObjectFrameSealer {
  readonly header: Buffer;
  readonly #frameSize: number;
  readonly #objectKey: KeyObject;
  readonly #parameters: FrameParameters;
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameIndex = 0;
  #headerSent = false;
  #ended = false;

  constructor(options: EncryptObjectOptions) {
    const frameSize = options.frameSize ?? DEFAULT_FRAME_SIZE;
    assertFrameSize(frameSize);
    assertKeyLength(options.backupKey);
    if (!Number.isInteger(options.backupKeyVersion) || options.backupKeyVersion < 1) {
      throw new RangeError(`Backup key version must be a positive integer; got ${options.backupKeyVersion}.`);
    }

    const salt = options.fixedRandomnessForTests?.salt ?? randomBytes(SALT_BYTES);
    const noncePrefix = options.fixedRandomnessForTests?.noncePrefix ?? randomBytes(NONCE_PREFIX_BYTES);
    if (salt.length !== SALT_BYTES || noncePrefix.length !== NONCE_PREFIX_BYTES) {
      throw new RangeError(
        `The salt is ${SALT_BYTES} bytes and the nonce prefix ${NONCE_PREFIX_BYTES} bytes.`,
      );
    }

    this.#frameSize = frameSize;
    this.header = encodeHeader({
      formatVersion: OBJECT_FORMAT_VERSION,
      backupKeyVersion: options.backupKeyVersion,
      frameSize,
      salt,
      noncePrefix,
    });
    this.#parameters = new FrameParameters(this.header);

    const objectKey = deriveObjectKey(options.backupKey, salt, options);
    this.#objectKey = createSecretKey(objectKey);
    objectKey.fill(0);
  }

  write(chunk: Buffer): Buffer[] {
    if (this.#ended) throw new Error('Cannot write to a backup object after its end.');
    const output = this.#takeHeader();

    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.#frameSize - this.#pendingBytes, chunk.length - offset);
      this.#pending.push(take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
      this.#pendingBytes += take;
      offset += take;

      // A full frame is never the last one (the last frame contains fewer than frameSize bytes), so it
      // can be sealed now without waiting to see whether more input follows.
      if (this.#pendingBytes === this.#frameSize) this.#sealFrame(false, output);
    }

    return output;
  }

  end(): Buffer[] {
    if (this.#ended) return [];
    this.#ended = true;

    const output = this.#takeHeader();
    this.#sealFrame(true, output);
    return output;
  }

  #takeHeader(): Buffer[] {
    if (this.#headerSent) return [];
    this.#headerSent = true;
    return [this.header];
  }

  #sealFrame(last: boolean, output: Buffer[]): void {
    if (this.#frameIndex >= MAX_FRAMES) {
      throw new RangeError(
        `Backup object is too large: the maximum is ${MAX_FRAMES} frames of ${this.#frameSize} bytes.`,
      );
    }

    const cipher = createCipheriv('aes-256-gcm', this.#objectKey, this.#parameters.nonce(this.#frameIndex), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(this.#parameters.aad(this.#frameIndex, last));
    for (const piece of this.#pending) output.push(cipher.update(piece));
    cipher.final();
    output.push(cipher.getAuthTag());

    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#frameIndex += 1;
  }
}

/** Returns a Transform that takes plaintext and emits the encrypted backup object. */
export function createObjectEncryptStream(options: EncryptObjectOptions): Transform {
  const sealer = new ObjectFrameSealer(options);

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      pushAll(this, () => sealer.write(chunk), callback);
    },
    flush(callback: TransformCallback) {
      pushAll(this, () => sealer.end(), callback);
    },
  });
}

/** Encrypts an async iterable of plaintext chunks, yielding the encrypted object in pieces. */
export async function* encryptObjectChunks(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  options: EncryptObjectOptions,
): AsyncGenerator<Buffer> {
  const sealer = new ObjectFrameSealer(options);
  for await (const chunk of source) yield* sealer.write(chunk);
  yield* sealer.end();
}

/** Encrypts a whole object held in memory; for small objects and tests. */
export function encryptObjectBuffer(plaintext: Buffer, options: EncryptObjectOptions): Buffer {
  const sealer = new ObjectFrameSealer(options);
  return Buffer.concat([...sealer.write(plaintext), ...sealer.end()]);
}

function pushAll(stream: Transform, produce: () => Buffer[], callback: TransformCallback): void {
  let output: Buffer[];
  try {
    output = produce();
  } catch (error) {
    callback(error as Error);
    return;
  }
  for (const buffer of output) stream.push(buffer);
  callback();
}
