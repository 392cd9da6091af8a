import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { syncDirectory } from '../backups/atomic-file.js';
import type { Services } from '../services.js';

export const backupUsage = `  backup put --company ID --backup-set ID [--name NAME] FILE
                        Encrypt FILE (or - for standard input) as a new object of the backup set.
  backup get --company ID --backup-set ID --object ID [--output FILE]
                        Decrypt an object to FILE (written atomically) or to standard output.
  backup list --company ID --backup-set ID
                        List the objects of a backup set.`;

const idOptions = {
  company: { type: 'string' },
  'backup-set': { type: 'string' },
} as const;

function requireIds(
  values: { company?: string; 'backup-set'?: string },
  usageError: (message: string) => Error,
) {
  if (!values.company || !values['backup-set'])
    throw usageError('backup commands need --company and --backup-set.');
  return { companyId: values.company.toLowerCase(), backupSetId: values['backup-set'].toLowerCase() };
}

/** Runs `redapp backup put|get|list`; writes results to stdout and progress to stderr. */
export async function runBackupCommand(
  args: string[],
  services: Services,
  usageError: (message: string) => Error,
): Promise<void> {
  const [subcommand, ...rest] = args;

  if (subcommand === 'put') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...idOptions, name: { type: 'string' } },
    });
    const { companyId, backupSetId } = requireIds(values, usageError);
    const [file] = positionals;
    if (!file || positionals.length > 1)
      throw usageError('backup put needs exactly one FILE (or - for standard input).');

    const input = file === '-' ? process.stdin : fs.createReadStream(file);
    const object = await services.backupObjects.upload(
      companyId,
      backupSetId,
      input as AsyncIterable<Buffer>,
      values.name ?? (file === '-' ? 'stdin' : path.basename(file)),
    );
    process.stdout.write(`${JSON.stringify(object)}\n`);
    return;
  }

  if (subcommand === 'get') {
    const { values } = parseArgs({
      args: rest,
      options: { ...idOptions, object: { type: 'string' }, output: { type: 'string' } },
    });
    const { companyId, backupSetId } = requireIds(values, usageError);
    if (!values.object) throw usageError('backup get needs --object.');
    const chunks = services.backupObjects.download(companyId, backupSetId, values.object.toLowerCase());

    if (!values.output || values.output === '-') {
      await pipeline(chunks, process.stdout);
      return;
    }
    // Plaintext goes to a temporary file that becomes the output only once every frame verified.
    const output = path.resolve(values.output);
    const temporary = `${output}.${process.pid}.partial`;
    try {
      await pipeline(chunks, fs.createWriteStream(temporary, { mode: 0o600 }));
      fs.renameSync(temporary, output);
      await syncDirectory(path.dirname(output));
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      throw error;
    }
    process.stderr.write(`Wrote ${fs.statSync(output).size} bytes to ${output}.\n`);
    return;
  }

  if (subcommand === 'list') {
    const { values } = parseArgs({ args: rest, options: idOptions });
    const { companyId, backupSetId } = requireIds(values, usageError);
    for (const object of await services.backupObjects.list(companyId, backupSetId)) {
      process.stdout.write(`${object.id}  ${String(object.sizeBytes).padStart(12)}  ${object.name}\n`);
    }
    return;
  }

  throw usageError(`Unknown backup command "${subcommand ?? ''}"; expected put, get or list.`);
}
