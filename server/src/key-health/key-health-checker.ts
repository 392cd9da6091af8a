import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import {
  capNextChecks,
  claimCompany,
  findCheckTarget,
  listDueCompanies,
  type RecordOutcome,
  recordObservation,
} from './key-health-dal.js';
import type { KeyHealthProbes } from './key-health-probe.js';
import type { KeyHealthObservation } from './key-health-types.js';

export interface KeyHealthCheckerDeps {
  db: Kysely<Database>;
  /** One probe per checked provider type, such as AWS KMS and Azure Key Vault. */
  probes: KeyHealthProbes;
  /** Seconds between two checks of one company. */
  intervalSeconds: number;
  logger: Logger;
  /** Companies checked at the same time within one pass. Default 4. */
  concurrency?: number;
}

/** Companies one pass reads from the database; the rest wait for the next pass. */
const maxCompaniesPerPass = 500;

/**
 * The periodic key health check of every company on a provider type that has a probe (the customer
 * keys: AWS KMS and Azure Key Vault). Any number of replicas may run it: each
 * company is claimed per interval by a conditional write on key_health.next_check_at, so one replica
 * checks it. The state is stored on every check, with an audit event only when it changes.
 */
export class KeyHealthChecker {
  readonly #deps: KeyHealthCheckerDeps;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<number> | undefined;

  constructor(deps: KeyHealthCheckerDeps) {
    if (!Number.isFinite(deps.intervalSeconds) || deps.intervalSeconds <= 0) {
      throw new RangeError(`Key health intervalSeconds must be positive; got ${deps.intervalSeconds}.`);
    }
    this.#deps = deps;
  }

  /** Runs one pass: checks every due company this replica can claim. Returns how many it checked. */
  async checkDue(): Promise<number> {
    const due = await listDueCompanies(this.#deps.db, [...this.#deps.probes.keys()], maxCompaniesPerPass);
    let checked = 0;
    const queue = [...due];
    const worker = async () => {
      for (let companyId = queue.shift(); companyId; companyId = queue.shift()) {
        if (await this.#checkClaimed(companyId)) checked += 1;
      }
    };
    await Promise.all(Array.from({ length: this.#deps.concurrency ?? 4 }, worker));
    return checked;
  }

  /**
   * Starts passes on a timer that does not keep the process alive. A pass runs at least every 30 s
   * (or every interval, when shorter), so a company waits at most that long after it is due.
   */
  start(): void {
    if (this.#timer) return;
    // Checks scheduled by a run with a longer interval would otherwise wait for that interval.
    capNextChecks(this.#deps.db, this.#deps.intervalSeconds).catch((error: unknown) =>
      this.#deps.logger.error({ err: error }, 'could not reschedule key health checks'),
    );
    const periodMs = Math.min(this.#deps.intervalSeconds * 1000, 30_000);
    this.#timer = setInterval(() => this.#runPass(), periodMs);
    this.#timer.unref();
    this.#deps.logger.info(
      { intervalSeconds: this.#deps.intervalSeconds, periodMs },
      'key health checker started',
    );
    this.#runPass();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass?.catch(() => 0);
    this.#deps.logger.info('key health checker stopped');
  }

  #runPass(): void {
    if (this.#pass) return;
    this.#pass = this.checkDue()
      .catch((error: unknown) => {
        this.#deps.logger.error({ err: error }, 'key health pass failed');
        return 0;
      })
      .finally(() => {
        this.#pass = undefined;
      });
  }

  async #checkClaimed(companyId: string): Promise<boolean> {
    const { db, probes, intervalSeconds, logger } = this.#deps;
    try {
      if (!(await claimCompany(db, companyId, intervalSeconds))) return false;
      const target = await findCheckTarget(db, companyId);
      const probe = target && probes.get(target.provider_type);
      if (!target || !probe) return false;

      // PGlite returns bytea as Uint8Array, node-postgres as Buffer.
      const stored = target.health_ciphertext ? Buffer.from(target.health_ciphertext) : null;
      const { providerKeyId, observation } = await probe.probe({
        companyId,
        providerConfig: target.provider_config,
        storedCiphertext: stored,
      });
      const outcome = await recordObservation(db, {
        companyId,
        providerType: target.provider_type,
        providerSince: new Date(target.provider_since),
        providerKeyId,
        storedCiphertext: stored,
        observation,
        intervalSeconds,
      });
      this.#log(companyId, target.provider_type, observation, outcome);
      return true;
    } catch (error) {
      logger.error({ err: error, companyId }, 'key health check failed');
      return false;
    }
  }

  #log(
    companyId: string,
    providerType: string,
    observation: KeyHealthObservation,
    { previousState, changed, recorded }: RecordOutcome,
  ): void {
    const { logger } = this.#deps;
    const fields = {
      companyId,
      providerType,
      state: observation.state,
      previousState,
      code: observation.code,
      unknownGrants: observation.unknownGrants,
      ...(observation.error ? { err: observation.error } : {}),
    };
    if (!recorded) {
      logger.info(fields, 'key health result dropped: the company changed provider during the check');
    } else if (changed && observation.state !== 'ok') {
      logger.warn(fields, 'key health changed');
    } else if (changed) {
      logger.info(fields, 'key health changed');
    } else {
      // Unchanged results repeat every interval, so they log below the default level.
      logger.debug(fields, 'key health checked');
    }
  }
}
