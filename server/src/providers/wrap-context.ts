import type { WrapContext } from './provider-types.js';

/** Raises RangeError unless the context has a non-empty company id and a positive 32-bit version. */
export function assertWrapContext(context: WrapContext): void {
  if (typeof context.companyId !== 'string' || context.companyId.length === 0) {
    throw new RangeError('A wrap context needs a non-empty companyId.');
  }
  const version = context.companyKeyVersion;
  if (!Number.isInteger(version) || version < 1 || version > 0xffff_ffff) {
    throw new RangeError(`companyKeyVersion must be a positive 32-bit integer; got ${version}.`);
  }
}

export function sameContext(a: WrapContext, b: WrapContext): boolean {
  return a.companyId === b.companyId && a.companyKeyVersion === b.companyKeyVersion;
}
