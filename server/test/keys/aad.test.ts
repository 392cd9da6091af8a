import { describe, expect, it } from 'vitest';
import { encodeAad } from '../../src/keys/aad.js';

describe('AAD encoding', () => {
  it('length-prefixes strings and writes integers as 4 bytes', () => {
    expect(encodeAad('L', ['ab', 258]).toString('hex')).toBe('000000014c' + '000000026162' + '00000102');
  });

  it('moved separators give different bytes', () => {
    expect(encodeAad('L', ['a', 'b:c']).equals(encodeAad('L', ['a:b', 'c']))).toBe(false);
  });

  it.each([-1, 1.5, 2 ** 32])('rejects integer %d', (value) => {
    expect(() => encodeAad('L', [value])).toThrow(RangeError);
  });
});
