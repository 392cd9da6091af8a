export type { AwsResponseRecord } from './aws/aws-endpoint.js';
export * from './identity/index.js';
export { type RunningSandbox, type SandboxOptions, startSandbox } from './sandbox.js';
export type { AwsSandboxConfig, PrincipalCredentials, SandboxConfig } from './sandbox-config.js';
export type { StandIn, StandInContext } from './stand-ins.js';
