import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id parameters: 19 MiB of memory, 2 passes, 1 lane, the first configuration OWASP's
 * Password Storage Cheat Sheet lists for Argon2id. The parameters are stored in each hash, so
 * raising them later only affects new hashes.
 */
const argon2Options = {
  algorithm: 2 /* Argon2id; the package's const enum cannot be imported under verbatimModuleSyntax */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** Shortest password accepted for a new user. */
export const minPasswordLength = 12;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

/**
 * A hash of a random value, verified against when the email address is unknown, so a sign-in
 * attempt takes as long whether or not the account exists.
 */
let decoyHash: Promise<string> | undefined;

/** Checks a password against a stored hash, or against the decoy when there is no user. */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    decoyHash ??= hash(crypto.randomUUID(), argon2Options);
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}
