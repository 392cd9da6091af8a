import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors/app-error.js';

export const setupScriptName = 'cybersentriq-byok-setup.sh';

/** The script in this repository: server/{src,dist}/key-management → setup/. */
const defaultScriptPath = fileURLToPath(new URL(`../../../setup/${setupScriptName}`, import.meta.url));

export interface SetupScript {
  content: Buffer;
  sha256: string;
}

let cached: { path: string; mtimeMs: number; script: SetupScript } | undefined;

/** Reads the setup script the console offers for download, with its SHA-256 (hex). */
export function readSetupScript(scriptPath = defaultScriptPath): SetupScript {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(scriptPath);
  } catch {
    throw new AppError(
      'NOT_FOUND',
      `The setup script ${setupScriptName} is missing from this installation (${scriptPath}).`,
      {
        fix: 'Contact CyberSentriq support; the manual setup in the documentation works without the script.',
      },
    );
  }
  if (cached?.path === scriptPath && cached.mtimeMs === stat.mtimeMs) return cached.script;

  const content = fs.readFileSync(scriptPath);
  const script = { content, sha256: createHash('sha256').update(content).digest('hex') };
  cached = { path: scriptPath, mtimeMs: stat.mtimeMs, script };
  return script;
}

/** The command the console shows, with the platform principal and the suggested External ID filled in. */
export function setupCommand(platformPrincipalArn: string, externalId: string): string {
  return `./${setupScriptName} --platform-principal-arn ${platformPrincipalArn} --external-id ${externalId}`;
}
