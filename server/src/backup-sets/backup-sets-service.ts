import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { type BackupSetInput, validateBackupSet } from './backup-set-validation.js';
import { type BackupSet, findBackupSet, findBackupSetByName, insertBackupSet } from './backup-sets-dal.js';

/** Creates a backup set for a company; a new tenant id or customer id is how a new tenant appears. */
export async function createBackupSet(
  db: Kysely<Database>,
  companyId: string,
  input: BackupSetInput,
): Promise<BackupSet> {
  const valid = validateBackupSet(input);

  if (await findBackupSetByName(db, companyId, valid.name)) {
    throw new AppError('CONFLICT', `This company already has a backup set named "${valid.name}".`, {
      fix: 'Choose another name.',
    });
  }
  // The company row lock makes a new tenant wait for (or be seen by) a switch committing its finish.
  const id = await db.transaction().execute(async (trx) => {
    await trx.selectFrom('companies').select('id').where('id', '=', companyId).forUpdate().execute();
    return insertBackupSet(trx, { companyId, ...valid });
  });
  return (await findBackupSet(db, companyId, id))!;
}
