import { afterAll, beforeAll, describe } from 'vitest';
import { type AwsCli, findAwsClis } from './aws-cli.js';
import { AwsChecker } from './checks.js';
import {
  type PrincipalName,
  type Sandbox,
  type SandboxCredentials,
  type SandboxOptions,
  startSandbox,
} from './sandbox.js';
import { makeHome, runSetupScript, type ScriptRun } from './setup-script.js';

export interface CliSuite {
  cli: AwsCli;
  sandbox(): Sandbox;
  credentials(name: PrincipalName): SandboxCredentials;
  /** AWS CLI calls as the customer account's administrator user. */
  admin(): AwsChecker;
  /** AWS CLI calls as the CyberSentriq platform connector user. */
  platform(): AwsChecker;
  /** Runs the script as `as` (default: the administrator user) with the platform principal ARN filled in. */
  run(
    args: string[],
    options?: Partial<Omit<ScriptRun, 'cli' | 'aws' | 'args'>> & { as?: PrincipalName },
  ): ReturnType<typeof runSetupScript>;
}

const { clis, missing } = findAwsClis();

/**
 * Declares one describe block per AWS CLI version, each with its own sandbox. Outside CI a missing
 * CLI version skips its block; in CI findAwsClis fails instead.
 */
export function describeEachCli(
  title: string,
  sandboxOptions: SandboxOptions,
  body: (suite: CliSuite) => void,
) {
  for (const name of missing) describe.skip(`${title} (skipped: ${name} not installed)`, () => {});

  for (const cli of clis) {
    describe(`${title} (AWS CLI ${cli.name})`, () => {
      let sandbox: Sandbox | undefined;
      let home = '';
      let adminRoleSession: SandboxCredentials | undefined;

      beforeAll(async () => {
        sandbox = await startSandbox(sandboxOptions);
        home = await makeHome();
        const admin = new AwsChecker(cli, sandbox.aws, sandbox.aws.credentials.customerAdmin, home);
        adminRoleSession = await admin.assumeRole(
          sandbox.aws.customerAdminRoleArn,
          undefined,
          'cloudshell-admin',
        );
      });

      afterAll(async () => {
        await sandbox?.stop();
      });

      const suite: CliSuite = {
        cli,
        sandbox() {
          if (!sandbox) throw new Error('the sandbox did not start');
          return sandbox;
        },
        credentials(name) {
          if (name !== 'customerAdminRole') return suite.sandbox().aws.credentials[name];
          if (!adminRoleSession) throw new Error('the customer admin role was not assumed');
          return adminRoleSession;
        },
        admin() {
          return new AwsChecker(cli, suite.sandbox().aws, suite.credentials('customerAdmin'), home);
        },
        platform() {
          return new AwsChecker(cli, suite.sandbox().aws, suite.credentials('platform'), home);
        },
        run(args, options = {}) {
          const { as = 'customerAdmin', ...rest } = options;
          const aws = suite.sandbox().aws;
          return runSetupScript({
            cli,
            aws,
            credentials: suite.credentials(as),
            args: ['--platform-principal-arn', aws.platformPrincipalArn, ...args],
            ...rest,
          });
        },
      };
      body(suite);
    });
  }
}
