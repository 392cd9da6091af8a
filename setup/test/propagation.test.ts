import { expect, it } from 'vitest';
import { expectPlatformCanUse, expectPlatformOnlyTrust } from './helpers/checks.js';
import { readPrintedValues } from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

const PROPAGATION_DELAY_SECONDS = 8;

describeEachCli(
  'setup script with slow IAM propagation',
  { iamPropagationDelaySeconds: PROPAGATION_DELAY_SECONDS },
  (suite) => {
    it('retries until the role can be assumed', async () => {
      const result = await suite.run(['--key-alias', 'alias/slow-iam', '--role-name', 'SlowIamRole']);

      expect(result.stderr).not.toContain('ERROR');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(
        /Check attempt 1 failed at \w+ \(\w+\); IAM changes can take a minute to propagate\. Retrying in \d+s \(\d+s left\)\.\.\./,
      );
      const values = readPrintedValues(result.stdout);
      const trust = await suite.admin().trustPolicy('SlowIamRole');
      expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, values.externalId);
      await new Promise((resolve) => setTimeout(resolve, PROPAGATION_DELAY_SECONDS * 1000));
      await expectPlatformCanUse(suite.platform(), values);
    });

    it('restores the trust policy on SIGINT', async () => {
      let interrupted = false;
      const result = await suite.run(['--key-alias', 'alias/interrupted', '--role-name', 'InterruptedRole'], {
        onStderr: (stderr, child) => {
          if (!interrupted && stderr.includes('Retrying in')) {
            interrupted = true;
            child.kill('SIGINT');
          }
        },
      });

      expect(interrupted).toBe(true);
      expect(result.code, result.stderr).toBe(130);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Interrupted by SIGINT.');
      expect(result.stderr).toMatch(
        /Removed arn:\S+ from the trust policy of InterruptedRole: it trusts only /,
      );
      const trust = await suite.admin().trustPolicy('InterruptedRole');
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0]?.Sid).toBe('CyberSentriqPlatformAssumeRole');
      const externalId = trust.Statement[0]?.Condition?.StringEquals?.['sts:ExternalId'];
      expectPlatformOnlyTrust(trust, suite.sandbox().aws.platformPrincipalArn, String(externalId));
    });
  },
);
