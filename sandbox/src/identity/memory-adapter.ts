import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds, or undefined for entries that do not expire. */
  expiresAt: number | undefined;
}

/**
 * Creates an in-memory storage for one provider's sessions, interactions, codes, grants and tokens. They are
 * lost on restart, which only signs everybody out; tenants and users live in the identity state file.
 */
export function createMemoryAdapter(clock: () => number): AdapterConstructor {
  const entries = new Map<string, Entry>();
  const uidIndex = new Map<string, string>();
  const userCodeIndex = new Map<string, string>();
  const grantIndex = new Map<string, Set<string>>();

  // NOTE: expired entries are dropped only when read, so a long-running sandbox keeps them until then.
  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= clock()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.key(id);
      entries.set(key, { payload, expiresAt: expiresIn ? clock() + expiresIn * 1000 : undefined });
      if (payload.uid) uidIndex.set(payload.uid, key);
      if (payload.userCode) userCodeIndex.set(payload.userCode, key);
      if (payload.grantId) {
        const keys = grantIndex.get(payload.grantId) ?? new Set<string>();
        keys.add(key);
        grantIndex.set(payload.grantId, keys);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return read(this.key(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const key = uidIndex.get(uid);
      return key === undefined ? undefined : read(key);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const key = userCodeIndex.get(userCode);
      return key === undefined ? undefined : read(key);
    }

    async consume(id: string): Promise<void> {
      const payload = read(this.key(id));
      if (payload) payload.consumed = Math.floor(clock() / 1000);
    }

    async destroy(id: string): Promise<void> {
      entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grantIndex.get(grantId) ?? []) entries.delete(key);
      grantIndex.delete(grantId);
    }
  };
}
