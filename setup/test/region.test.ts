import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeHome, readPrintedValues } from './helpers/setup-script.js';
import { describeEachCli } from './helpers/suite.js';

// Each case creates its own key (own alias) and role, so the cases do not reuse each other's resources.
describeEachCli('setup script region precedence', {}, (suite) => {
  const cases: Array<{
    name: string;
    flagRegion?: string;
    awsRegion?: string;
    defaultRegion?: string;
    configRegion?: string;
    expected: string;
  }> = [
    {
      name: '--region over AWS_REGION',
      flagRegion: 'eu-west-1',
      awsRegion: 'eu-central-1',
      defaultRegion: 'us-east-2',
      expected: 'eu-west-1',
    },
    {
      name: 'AWS_REGION over default region',
      awsRegion: 'eu-central-1',
      defaultRegion: 'us-east-2',
      configRegion: 'ap-southeast-2',
      expected: 'eu-central-1',
    },
    {
      name: 'AWS_DEFAULT_REGION over CLI config',
      defaultRegion: 'us-east-2',
      configRegion: 'ap-southeast-2',
      expected: 'us-east-2',
    },
    { name: 'CLI config region last', configRegion: 'ap-southeast-2', expected: 'ap-southeast-2' },
  ];

  for (const [index, testCase] of cases.entries()) {
    it(`uses ${testCase.name}`, async () => {
      const home = await makeHome();
      if (testCase.configRegion) {
        await mkdir(path.join(home, '.aws'));
        await writeFile(path.join(home, '.aws', 'config'), `[default]\nregion = ${testCase.configRegion}\n`);
      }
      const args = ['--key-alias', `alias/region-case-${index}`, '--role-name', `RegionCase${index}Role`];
      if (testCase.flagRegion) args.push('--region', testCase.flagRegion);

      const result = await suite.run(args, {
        home,
        environment: { AWS_REGION: testCase.awsRegion, AWS_DEFAULT_REGION: testCase.defaultRegion },
      });

      expect(result.stderr).not.toContain('ERROR');
      expect(result.code, result.stderr).toBe(0);
      const values = readPrintedValues(result.stdout);
      expect(values.region).toBe(testCase.expected);
      expect(values.keyArn.split(':')[3]).toBe(testCase.expected);
    });
  }
});
