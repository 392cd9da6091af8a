export type { EntraTenantConfig, GoogleAccountConfig, IdentityConfig } from './identity-config.js';
export type { EntraRole, GoogleRole } from './identity-types.js';
export { ENTRA_DIRECTORY_ROLES } from './identity-types.js';
export { type IdentityOptions, identityStandIn, mountIdentityProviders } from './mount-identity.js';
export { SandboxSignInError, type SignInOptions, signInWithSandbox } from './sign-in-driver.js';
