/**
 * The error catalogue: every error the API returns has one of these stable codes.
 *
 * Each entry fixes the HTTP status and a default fix. The message is written where the error is
 * raised, because it names the value at fault; the fix may be overridden there too. Codes are part
 * of the API contract: clients and the console match on them, so rename none.
 */
export const errorCatalogue = {
  // Requests
  INVALID_INPUT: { status: 400, fix: 'Correct the value named in the message and send the request again.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, fix: 'Send the body as application/json.' },
  PAYLOAD_TOO_LARGE: { status: 413, fix: 'Send a smaller request body.' },
  ROUTE_NOT_FOUND: { status: 404, fix: 'Check the method and path against the API reference at /docs.' },
  NOT_FOUND: { status: 404, fix: 'Check the id; it may belong to a company you cannot access.' },
  CONFLICT: { status: 409, fix: 'Reload the current state and try again.' },
  OPERATION_IN_PROGRESS: {
    status: 409,
    fix: 'Wait for the running key operation to finish (a few seconds to a few minutes), then try again.',
  },
  RATE_LIMITED: { status: 429, fix: 'Wait a minute and try again.' },

  // Sessions and access
  UNAUTHENTICATED: { status: 401, fix: 'Sign in and try again.' },
  INVALID_CREDENTIALS: { status: 401, fix: 'Check the email address and password.' },
  CSRF_TOKEN_INVALID: {
    status: 403,
    fix: 'Send the csrfToken returned by sign-in in the x-csrf-token header; reload the page if it expired.',
  },
  FORBIDDEN: { status: 403, fix: 'Ask a Partner Admin or Company Admin to do this.' },

  // Key providers (messages start as the knowledge-base article's "Common issues" do)
  ROLE_ACCESS_DENIED: {
    status: 422,
    fix:
      'Ask your AWS admin to confirm the principal in the trust policy is the CyberSentriq platform ' +
      'account, and that the External ID matches character-for-character.',
  },
  EXTERNAL_ID_NOT_ENFORCED: {
    status: 422,
    fix: 'Ask your AWS admin to add an sts:ExternalId condition to the role trust policy, as the setup script does.',
  },
  KEY_NOT_FOUND: {
    status: 422,
    fix:
      'Open the key in the AWS Console: the Region and Key ID shown must match the ARN and Region you ' +
      'enter in RedApp.',
  },
  KEY_DISABLED: { status: 422, fix: 'Ask your AWS admin to re-enable the key, then retry.' },
  KEY_PENDING_DELETION: {
    status: 422,
    fix: 'Ask your AWS admin to cancel the key deletion and re-enable the key, then retry.',
  },
  KEY_NOT_SYMMETRIC: {
    status: 422,
    fix: 'Ask your AWS admin to create a symmetric encryption key in AWS KMS and use its ARN instead.',
  },
  KEY_PERMISSION_MISSING: {
    status: 422,
    fix: 'Ask your AWS admin to grant both encrypt and decrypt on the key.',
  },
  KEY_POLICY_DENIES: {
    status: 422,
    fix: 'Ask your AWS admin to remove the Deny statement for this action from the key policy.',
  },
  EXTERNAL_ID_IN_USE: {
    status: 409,
    fix: 'Use the External ID RedApp suggests on the AWS KMS setup screen (or a new UUID), update the role trust policy to match, and test again.',
  },
  EXPORT_NOT_AVAILABLE: {
    status: 409,
    fix: 'Verify every tenant again on the Key Management page; then one more export is offered.',
  },
  IDENTITY_PROVIDER_UNAVAILABLE: {
    status: 503,
    fix: 'Try again in a few minutes; if it keeps failing, contact CyberSentriq support.',
  },
  VERIFICATION_STATE_INVALID: {
    status: 400,
    fix: 'Start the verification again from the Key Management page, in the same browser you are signed in with.',
  },
  PLATFORM_CREDENTIALS: {
    status: 503,
    fix: 'This is a CyberSentriq-side configuration issue, not something you can fix in AWS. Contact CyberSentriq support.',
  },
  PROVIDER_UNREACHABLE: { status: 503, fix: 'This is usually temporary. Try again in a few minutes.' },

  // Azure Key Vault (a transient failure is PROVIDER_UNREACHABLE, as for AWS)
  AZURE_CREDENTIALS_REJECTED: {
    status: 422,
    fix:
      'Ask your Azure admin to check the Directory (tenant) ID and Application (client) ID on the app ' +
      "registration's Overview page, and to create a new client secret under Certificates & secrets if this one " +
      'expired. Paste the secret Value, not the Secret ID.',
  },
  AZURE_VAULT_UNREACHABLE: {
    status: 422,
    fix: "Copy the Vault URI from the key vault's Overview page in the Azure portal, and ask your Azure admin whether the vault's firewall allows public access.",
  },
  AZURE_KEY_NOT_FOUND: {
    status: 422,
    fix: "Open the vault's Keys page in the Azure portal: the key name you enter in RedApp must match one listed there.",
  },
  AZURE_KEY_DISABLED: {
    status: 422,
    fix: 'Ask your Azure admin to enable the key and to clear or correct its activation and expiration dates, then retry.',
  },
  AZURE_PERMISSION_MISSING: {
    status: 422,
    fix: 'Ask your Azure admin to assign the app the "Key Vault Crypto Service Encryption User" role on the key; it grants get, wrapKey and unwrapKey.',
  },
  AZURE_KEY_TYPE_UNSUPPORTED: {
    status: 422,
    fix: 'Ask your Azure admin to create an RSA or RSA-HSM key of 2048 bits or more that permits wrap and unwrap, and use its name instead.',
  },

  // Stored data
  BACKUP_OBJECT_DAMAGED: {
    status: 422,
    fix: 'The stored object failed its integrity check. Restore it from another copy and contact CyberSentriq support.',
  },
  KEY_UNAVAILABLE: {
    status: 422,
    fix: 'A key this data needs is missing or cannot be unwrapped. Contact CyberSentriq support.',
  },

  // Server
  DATABASE_UNAVAILABLE: { status: 503, fix: 'Check that the database server is running and reachable.' },
  DATABASE_IN_USE: {
    status: 503,
    fix: 'Stop the running server first, or run the command through the server API.',
  },
  INTERNAL: { status: 500, fix: 'Try again; if it keeps failing, contact support with the request id.' },
} as const satisfies Record<string, { status: number; fix: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
