import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AwsCli, awsEnvironment, type CommandResult, makeAwsBinDir, runCommand } from './aws-cli.js';
import type { SandboxAws, SandboxCredentials } from './sandbox.js';

export const SCRIPT_PATH = path.resolve(import.meta.dirname, '../../cybersentriq-byok-setup.sh');
const GOLDEN_SUCCESS_PATH = path.resolve(import.meta.dirname, '../golden/success-new-key.txt');

export interface ScriptRun {
  cli: AwsCli;
  aws: SandboxAws;
  credentials: SandboxCredentials;
  args: string[];
  /** Replaces PATH entirely (for the missing-uuidgen case); otherwise the CLI's bin dir comes first. */
  pathOverride?: string;
  /** Variables to add, or to remove when the value is undefined. */
  environment?: Record<string, string | undefined>;
  home?: string;
  onStderr?: (stderr: string, child: ChildProcess) => void;
}

export async function makeHome(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'setup-home-'));
}

/** Runs the setup script under the given CLI, as the given principal, against the sandbox. */
export async function runSetupScript(run: ScriptRun): Promise<CommandResult> {
  const home = run.home ?? (await makeHome());
  const binDir = await makeAwsBinDir(run.cli);
  const environment = awsEnvironment(run.aws, run.credentials, home, binDir);
  environment.CYBERSENTRIQ_VERIFY_TIMEOUT = '60';
  if (run.pathOverride) environment.PATH = run.pathOverride;
  for (const [name, value] of Object.entries(run.environment ?? {})) {
    if (value === undefined) delete environment[name];
    else environment[name] = value;
  }
  return runCommand('bash', [SCRIPT_PATH, ...run.args], environment, run.onStderr);
}

/** The four values of a success or warning block. */
export interface PrintedValues {
  roleArn: string;
  externalId: string;
  keyArn: string;
  region: string;
}

function valueAfter(output: string, label: string): string {
  const match = output.match(new RegExp(`^${label}: (.*)$`, 'm'));
  if (!match?.[1]) throw new Error(`no "${label}:" line in the output:\n${output}`);
  return match[1];
}

export function readPrintedValues(stdout: string): PrintedValues {
  return {
    roleArn: valueAfter(stdout, 'Role ARN'),
    externalId: valueAfter(stdout, 'External ID'),
    keyArn: valueAfter(stdout, 'Key ARN'),
    region: valueAfter(stdout, 'Region'),
  };
}

/** Returns the golden success block with the four values filled in. */
export async function expectedSuccessBlock(values: PrintedValues): Promise<string> {
  const golden = await readFile(GOLDEN_SUCCESS_PATH, 'utf8');
  return golden
    .replace('{{ROLE_ARN}}', values.roleArn)
    .replace('{{EXTERNAL_ID}}', values.externalId)
    .replace('{{KEY_ARN}}', values.keyArn)
    .replace('{{REGION}}', values.region);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
