import type { Logger } from 'pino';
import type { Caller } from './caller.js';
import type { StateStore } from './state/state-store.js';

/** Request context passed to every operation handler along with its parameters. */
export interface AwsRequestContext {
  store: StateStore;
  caller: Caller;
  /** Region of the SigV4 credential scope: the region the client addressed. */
  region: string;
  requestId: string;
  now: number;
  sourceIp: string;
  log: Logger;
  /** The service's operation being served, for messages and logs. */
  operation: string;
  /** KMS's `DryRun` parameter: check permissions, then fail with DryRunOperationException instead of acting. */
  dryRun: boolean;
}

/**
 * Operation handler: it returns the output members (undefined for operations with no output) or throws an
 * AwsError. With `changesState` set, the endpoint persists the state after a successful call.
 */
export interface AwsOperation<Params> {
  handle(context: AwsRequestContext, params: Params): Promise<object | undefined> | object | undefined;
  changesState?: boolean;
}

export interface AwsService<Params> {
  /** The SigV4 signing name, which is how the endpoint routes a request to this service. */
  signingName: string;
  protocol: 'json' | 'query';
  operations: Record<string, AwsOperation<Params>>;
}
