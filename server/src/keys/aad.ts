/**
 * Encodes a fixed list of fields as additional authenticated data (AAD) for AES-GCM.
 *
 * The encoding is unambiguous: a label naming the purpose and version, then each field as a 4-byte
 * big-endian length followed by its UTF-8 bytes, or as a 4-byte big-endian unsigned integer. Two
 * different field lists under one label never encode to the same bytes, so ids containing separators
 * cannot be confused with each other.
 */
export function encodeAad(label: string, fields: ReadonlyArray<string | number>): Buffer {
  const parts: Buffer[] = [lengthPrefixed(label)];

  for (const field of fields) {
    if (typeof field === 'string') {
      parts.push(lengthPrefixed(field));
      continue;
    }
    if (!Number.isInteger(field) || field < 0 || field > 0xffff_ffff) {
      throw new RangeError(`AAD field ${field} is not an unsigned 32-bit integer.`);
    }
    const integer = Buffer.alloc(4);
    integer.writeUInt32BE(field);
    parts.push(integer);
  }

  return Buffer.concat(parts);
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
