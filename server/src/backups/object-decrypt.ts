/**
 * Decrypts a backup object in the framed format described in object-format.ts, as a stream.
 *
 * Each frame is authenticated before any of its plaintext is emitted, but earlier frames are emitted
 * before later ones are checked. A consumer must therefore treat everything it received as invalid when
 * the stream fails, for example by writing to a temporary file that is renamed only on success.
 *
 * Memory: at most one encrypted frame (references to the input chunks) plus its plaintext.
 */
import { createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  decodeHeader,
  deriveObjectKey,
  FrameParameters,
  HEADER_BYTES,
  type ObjectHeader,
  type ObjectIdentity,
  objectDamaged,
  TAG_BYTES,
} from './object-format.js';

export interface DecryptObjectOptions extends ObjectIdentity {
  /**
   * Returns the backup key for the version named in the object's header, or undefined when the
   * backup set has no such version. The stream zeroes the returned buffer once it has derived the
   * object key, so return a buffer the stream may own. An error raised here passes through unchanged.
   */
  getBackupKey(backupKeyVersion: number): Buffer | undefined | Promise<Buffer | undefined>;
}

/** Opens the frames that follow a parsed header; `end` checks that the object ended with its last frame. */
export class ObjectFrameOpener {
  readonly #identity: ObjectIdentity;
  readonly #encryptedFrameSize: number;
  readonly #objectKey: KeyObject;
  readonly #parameters: FrameParameters;
  readonly #tag = Buffer.alloc(TAG_BYTES);
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameIndex = 0;
  #ended = false;

  constructor(header: ObjectHeader, headerBytes: Buffer, backupKey: Buffer, identity: ObjectIdentity) {
    this.#identity = identity;
    this.#encryptedFrameSize = header.frameSize + TAG_BYTES;
    this.#parameters = new FrameParameters(headerBytes);

    const objectKey = deriveObjectKey(backupKey, header.salt, identity);
    this.#objectKey = createSecretKey(objectKey);
    objectKey.fill(0);
  }

  write(chunk: Buffer): Buffer[] {
    const output: Buffer[] = [];

    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.#encryptedFrameSize - this.#pendingBytes, chunk.length - offset);
      this.#pending.push(take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
      this.#pendingBytes += take;
      offset += take;

      // A full-size frame is never the last one, so it is opened with the last flag clear.
      if (this.#pendingBytes === this.#encryptedFrameSize) this.#openFrame(false, output);
    }

    return output;
  }

  end(): Buffer[] {
    if (this.#ended) return [];
    this.#ended = true;

    if (this.#pendingBytes === 0) {
      const position =
        this.#frameIndex === 0 ? 'right after the header' : `after frame ${this.#frameIndex - 1}`;
      throw objectDamaged(
        this.#identity,
        `it ends ${position} without a last frame (truncated at a frame boundary)`,
      );
    }
    if (this.#pendingBytes < TAG_BYTES) {
      throw objectDamaged(
        this.#identity,
        `frame ${this.#frameIndex} is truncated to ${this.#pendingBytes} bytes, shorter than its tag`,
      );
    }

    const output: Buffer[] = [];
    this.#openFrame(true, output);
    return output;
  }

  #openFrame(last: boolean, output: Buffer[]): void {
    const ciphertextBytes = this.#pendingBytes - TAG_BYTES;
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.#objectKey,
      this.#parameters.nonce(this.#frameIndex),
      {
        authTagLength: TAG_BYTES,
      },
    );
    decipher.setAAD(this.#parameters.aad(this.#frameIndex, last));

    // The tag is the frame's last 16 bytes, which may be split across input chunks.
    const plaintext: Buffer[] = [];
    let position = 0;
    for (const piece of this.#pending) {
      const ciphertextEnd = Math.min(piece.length, Math.max(0, ciphertextBytes - position));
      if (ciphertextEnd > 0) {
        plaintext.push(
          decipher.update(ciphertextEnd === piece.length ? piece : piece.subarray(0, ciphertextEnd)),
        );
      }
      if (ciphertextEnd < piece.length) {
        piece.copy(this.#tag, position + ciphertextEnd - ciphertextBytes, ciphertextEnd);
      }
      position += piece.length;
    }
    decipher.setAuthTag(this.#tag);

    try {
      decipher.final();
    } catch (error) {
      for (const buffer of plaintext) buffer.fill(0);
      throw objectDamaged(
        this.#identity,
        `frame ${this.#frameIndex} failed authentication (it was changed, truncated, moved, or copied from ` +
          'another object or backup set, or the backup key is not the one the header names)',
        error,
      );
    }

    for (const buffer of plaintext) output.push(buffer);
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#frameIndex += 1;
  }
}

/**
 * Decrypts a whole backup object fed in chunks: collects the header, requests the backup key it
 * names, then opens frames. `write` is asynchronous only until the header is complete.
 */
export class ObjectDecryptor {
  readonly #options: DecryptObjectOptions;
  readonly #headerPieces: Buffer[] = [];
  #headerBytes = 0;
  #opener: ObjectFrameOpener | undefined;

  constructor(options: DecryptObjectOptions) {
    this.#options = options;
  }

  /** The frame opener once the header has been read; undefined before. */
  get opener(): ObjectFrameOpener | undefined {
    return this.#opener;
  }

  async write(chunk: Buffer): Promise<Buffer[]> {
    if (this.#opener !== undefined) return this.#opener.write(chunk);

    const needed = HEADER_BYTES - this.#headerBytes;
    this.#headerPieces.push(chunk.subarray(0, needed));
    this.#headerBytes += Math.min(needed, chunk.length);
    if (this.#headerBytes < HEADER_BYTES) return [];

    this.#opener = await this.#openHeader(Buffer.concat(this.#headerPieces));
    return this.#opener.write(chunk.subarray(needed));
  }

  end(): Buffer[] {
    if (this.#opener === undefined) {
      throw objectDamaged(
        this.#options,
        `the header is truncated (${this.#headerBytes} of ${HEADER_BYTES} bytes)`,
      );
    }
    return this.#opener.end();
  }

  async #openHeader(headerBytes: Buffer): Promise<ObjectFrameOpener> {
    const header = decodeHeader(headerBytes, this.#options);

    const backupKey = await this.#options.getBackupKey(header.backupKeyVersion);
    if (backupKey === undefined) {
      throw objectDamaged(
        this.#options,
        `the header names backup key version ${header.backupKeyVersion}, which the backup set does not have`,
      );
    }

    try {
      return new ObjectFrameOpener(header, headerBytes, backupKey, this.#options);
    } finally {
      backupKey.fill(0);
    }
  }
}

/** Returns a Transform that takes an encrypted backup object and emits its plaintext. */
export function createObjectDecryptStream(options: DecryptObjectOptions): Transform {
  const decryptor = new ObjectDecryptor(options);

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const opener = decryptor.opener;
      if (opener !== undefined) {
        pushAll(this, () => opener.write(chunk), callback);
        return;
      }
      decryptor.write(chunk).then(
        (output) => pushAll(this, () => output, callback),
        (error: Error) => callback(error),
      );
    },
    flush(callback: TransformCallback) {
      pushAll(this, () => decryptor.end(), callback);
    },
  });
}

/** Decrypts an async iterable of encrypted chunks, yielding plaintext as each frame is verified. */
export async function* decryptObjectChunks(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  options: DecryptObjectOptions,
): AsyncGenerator<Buffer> {
  const decryptor = new ObjectDecryptor(options);
  for await (const chunk of source) yield* await decryptor.write(chunk);
  yield* decryptor.end();
}

/** Decrypts a whole object held in memory; for small objects and tests. */
export async function decryptObjectBuffer(
  ciphertext: Buffer,
  options: DecryptObjectOptions,
): Promise<Buffer> {
  const decryptor = new ObjectDecryptor(options);
  const output = await decryptor.write(ciphertext);
  return Buffer.concat([...output, ...decryptor.end()]);
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
