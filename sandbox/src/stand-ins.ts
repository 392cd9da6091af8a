import type { Logger } from 'pino';
import { azureStandIn } from './azure/mount-azure.js';
import type { Router } from './http/router.js';
import { identityStandIn } from './identity/mount-identity.js';

/** Context passed to a stand-in when the sandbox mounts it, once the listening URL is known. */
export interface StandInContext {
  /** URL the sandbox listens at, such as http://127.0.0.1:41234, without a trailing slash. */
  baseUrl: string;
  stateDir: string;
  log: Logger;
  /** Registers a callback the sandbox awaits on close, for stand-ins that run their own listener. */
  onClose(callback: () => Promise<void>): void;
}

/**
 * A service served next to the AWS endpoint under its own path prefixes (for example `/entra/`). `mount`
 * registers its routes and returns its section of sandbox.json, stored under `name`.
 */
export interface StandIn {
  name: string;
  mount(router: Router, context: StandInContext): object | Promise<object>;
}

/**
 * Stand-ins every sandbox mounts, in order. Requests whose path matches none of their prefixes go to the
 * AWS endpoint.
 */
export const STAND_INS: StandIn[] = [identityStandIn, azureStandIn];
