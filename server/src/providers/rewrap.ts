import { AppError } from '../errors/app-error.js';
import type { KeyProvider, WrappedKey } from './provider-types.js';

/**
 * Re-wraps a company key: unwraps it with `from`, wraps it with `to` under the same context, and
 * unwraps the new wrapping to check it before returning it. Used by platform master key rotation (both
 * providers are the same, and the new wrap uses the current master key version) and by a provider
 * switch. The plaintext key is zeroed before returning.
 */
export async function rewrapKey(
  wrapped: WrappedKey,
  from: KeyProvider,
  to: KeyProvider,
): Promise<WrappedKey> {
  const context = wrapped.context;
  const key = await from.unwrapKey(wrapped, context);

  try {
    const rewrapped = await to.wrapKey(key, context);
    const check = await to.unwrapKey(rewrapped, context);
    const matches = check.equals(key);
    check.fill(0);

    // Postcondition: the new wrapping unwraps to the same key, checked before the caller stores it.
    if (!matches) {
      throw new AppError(
        'INTERNAL',
        `Company key version ${context.companyKeyVersion} of company ${context.companyId} did not survive re-wrapping.`,
      );
    }
    return rewrapped;
  } finally {
    key.fill(0);
  }
}
