import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStateFile } from '../../state-file.js';
import type { AwsState, RoleRecord, Versioned } from './state-types.js';

const STATE_FILE = 'aws-state.json';

/**
 * Holds the AWS state in memory and writes it to `DIR/aws-state.json` (mode 0600, written to a temporary
 * file and renamed, so a crash never leaves half a file) after each change.
 */
export class StateStore {
  constructor(
    readonly state: AwsState,
    private readonly stateDir: string,
    /** Seconds before new and changed roles take effect for authorization. */
    readonly propagationDelaySeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  static load(
    stateDir: string,
    propagationDelaySeconds: number,
    clock: () => number = Date.now,
  ): StateStore | undefined {
    const state = readStateFile<AwsState>(stateDir, STATE_FILE, 'state');
    if (state === undefined) return undefined;
    return new StateStore(state, stateDir, propagationDelaySeconds, clock);
  }

  now(): number {
    return this.clock();
  }

  save(): void {
    mkdirSync(this.stateDir, { recursive: true });
    const target = join(this.stateDir, STATE_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(temporary, target);
  }

  /** Returns the role as IAM's read operations (GetRole) report it, with every change visible at once. */
  latestRole(arn: string): RoleRecord | undefined {
    return latest(this.state.roles[arn]) ?? undefined;
  }

  /** Returns the role version in effect for authorization now, ignoring changes younger than the propagation delay. */
  effectiveRole(arn: string): RoleRecord | undefined {
    return effective(this.state.roles[arn], this.now()) ?? undefined;
  }

  /** Records a new value (or a deletion, with null) of a role, effective after the propagation delay. */
  putRole(arn: string, value: RoleRecord | null): void {
    const now = this.now();
    const entry = this.state.roles[arn] ?? { versions: [] };
    const effectiveFrom = now + this.propagationDelaySeconds * 1000;
    // Keep only the newest version already in effect and any still pending, so history stays short.
    const inEffect = entry.versions.filter((version) => version.effectiveFrom <= now).at(-1);
    const pending = entry.versions.filter((version) => version.effectiveFrom > now);
    entry.versions = [...(inEffect ? [inEffect] : []), ...pending, { effectiveFrom, value }];
    if (this.propagationDelaySeconds === 0) entry.versions = [{ effectiveFrom, value }];
    this.state.roles[arn] = entry;
  }

  listLatestRoles(accountId: string): RoleRecord[] {
    return Object.values(this.state.roles)
      .map((entry) => latest(entry))
      .filter(
        (role): role is RoleRecord => role !== null && role !== undefined && role.accountId === accountId,
      );
  }
}

function latest<T>(entry: Versioned<T> | undefined): T | null | undefined {
  return entry?.versions.at(-1)?.value;
}

function effective<T>(entry: Versioned<T> | undefined, now: number): T | null | undefined {
  return entry?.versions.filter((version) => version.effectiveFrom <= now).at(-1)?.value;
}
