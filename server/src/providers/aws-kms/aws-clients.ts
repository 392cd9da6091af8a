import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsKmsConfig } from './aws-kms-config.js';

/** Settings for the platform's AWS calls: its own credentials, and an endpoint override for the sandbox. */
export interface AwsPlatformSettings {
  /** The platform's own credentials; the SDK's default provider chain when undefined. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** One endpoint for STS and KMS, for the local sandbox only; AWS's regional endpoints when unset. */
  endpoint?: string | undefined;
  /** Milliseconds to open a connection and to wait for a response. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per call, the first included; the SDK backs off exponentially between them. */
  maxAttempts?: number;
}

/**
 * Assumed-role sessions last 15 minutes: an edit to the role's trust policy does not end sessions
 * already issued, so access ends at most this long plus the key cache age after such an edit.
 */
export const assumedRoleSessionSeconds = 900;

function clientConfig(settings: AwsPlatformSettings, region: string) {
  return {
    region,
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs ?? 3_000,
      requestTimeout: settings.requestTimeoutMs ?? 10_000,
      // Without it, the handler only warns when a response is late and keeps waiting.
      throwOnRequestTimeout: true,
    }),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  };
}

/** STS client signed with the platform's own credentials, in the key's region. */
export function platformStsClient(settings: AwsPlatformSettings, region: string): STSClient {
  return new STSClient({
    ...clientConfig(settings, region),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
}

/** KMS client with credentials of the customer's role, assumed with the External ID and renewed before expiry. */
export function assumedRoleKmsClient(
  settings: AwsPlatformSettings,
  config: AwsKmsConfig,
  sessionName: string,
): KMSClient {
  const credentials = fromTemporaryCredentials({
    params: {
      RoleArn: config.roleArn,
      ExternalId: config.externalId,
      RoleSessionName: sessionName,
      DurationSeconds: assumedRoleSessionSeconds,
    },
    ...(settings.credentials ? { masterCredentials: settings.credentials } : {}),
    clientConfig: clientConfig(settings, config.region),
  });
  return new KMSClient({ ...clientConfig(settings, config.region), credentials });
}

/** KMS client with fixed credentials, such as those of one AssumeRole response during a connection test. */
export function staticKmsClient(
  settings: AwsPlatformSettings,
  region: string,
  credentials: AwsCredentialIdentity,
): KMSClient {
  return new KMSClient({ ...clientConfig(settings, region), credentials });
}
