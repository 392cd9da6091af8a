/**
 * A bounded in-memory cache of unwrapped company keys.
 *
 * Each entry lives at most `maxAgeMs` from the moment it was loaded, whatever its use: that age is the
 * longest a customer's revoked or disabled provider key can still serve requests. When full, the least
 * recently used entry goes first. Every eviction, expiry, invalidation and `clear()` overwrites the
 * cached buffer with zeros.
 *
 * NOTE: Node does not let us guarantee that no other copy of a key survives. V8 and the garbage
 * collector may move or copy buffers, OpenSSL keeps its own expanded key schedule inside cipher
 * contexts until they are freed, and the operating system may write any page to swap or a core dump.
 * Zeroing shortens the exposure of the copies we own; it does not erase the others.
 */

export interface KeyCacheOptions {
  /** Maximum number of cached company key versions. Default 1000. */
  maxEntries?: number;
  /** Maximum age of an entry in milliseconds, counted from when it was loaded. Default 300 000 (5 minutes). */
  maxAgeMs?: number;
  /** Clock in milliseconds, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

interface CacheEntry {
  companyId: string;
  key: Buffer;
  loadedAt: number;
}

export const DEFAULT_KEY_CACHE_MAX_AGE_MS = 300_000;
export const DEFAULT_KEY_CACHE_MAX_ENTRIES = 1000;

export class CompanyKeyCache {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly #now: () => number;
  /** Insertion order is recency order: a hit deletes and re-inserts its entry. */
  readonly #entries = new Map<string, CacheEntry>();
  readonly #loading = new Map<string, Promise<Buffer>>();
  /** Increases on every invalidation, so a load that started before one is not cached. */
  #epoch = 0;

  constructor(options: KeyCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_KEY_CACHE_MAX_ENTRIES;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_KEY_CACHE_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;

    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`Key cache maxEntries must be a positive integer; got ${this.maxEntries}.`);
    }
    if (!Number.isFinite(this.maxAgeMs) || this.maxAgeMs < 0) {
      throw new RangeError(`Key cache maxAgeMs must be zero or more milliseconds; got ${this.maxAgeMs}.`);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns a copy of the cached key, or undefined when absent or expired. The caller owns the copy. */
  get(companyId: string, companyKeyVersion: number): Buffer | undefined {
    const cacheKey = entryKey(companyId, companyKeyVersion);
    const entry = this.#entries.get(cacheKey);
    if (entry === undefined) return undefined;

    if (this.#isExpired(entry)) {
      this.#evict(cacheKey, entry);
      return undefined;
    }

    this.#entries.delete(cacheKey);
    this.#entries.set(cacheKey, entry);
    return copyKey(entry.key);
  }

  /** Stores a copy of `key`; the caller keeps ownership of the buffer it passed. */
  set(companyId: string, companyKeyVersion: number, key: Buffer): void {
    if (this.maxAgeMs === 0) return;

    const cacheKey = entryKey(companyId, companyKeyVersion);
    const previous = this.#entries.get(cacheKey);
    if (previous !== undefined) this.#evict(cacheKey, previous);

    this.#entries.set(cacheKey, { companyId, key: copyKey(key), loadedAt: this.#now() });
    this.#evictOverflow();
  }

  /**
   * Returns the cached key or loads it with `load`, caching the result. Concurrent calls for one
   * company key version share one load. The caller owns the returned buffer.
   */
  async getOrLoad(
    companyId: string,
    companyKeyVersion: number,
    load: () => Promise<Buffer>,
  ): Promise<Buffer> {
    const cached = this.get(companyId, companyKeyVersion);
    if (cached !== undefined) return cached;

    const cacheKey = entryKey(companyId, companyKeyVersion);
    let loading = this.#loading.get(cacheKey);
    if (loading === undefined) {
      loading = this.#load(cacheKey, companyId, companyKeyVersion, load);
      this.#loading.set(cacheKey, loading);
    }

    // Each caller gets its own copy, so one caller zeroing its buffer does not affect another.
    return copyKey(await loading);
  }

  /** Drops every cached version of one company's key, for example after a rotation or a switch. */
  invalidateCompany(companyId: string): number {
    this.#epoch += 1;

    let dropped = 0;
    for (const [cacheKey, entry] of this.#entries) {
      if (entry.companyId !== companyId) continue;
      this.#evict(cacheKey, entry);
      dropped += 1;
    }
    return dropped;
  }

  /** Drops expired entries; returns how many. `get` also drops them, but only for the key it reads. */
  sweep(): number {
    let dropped = 0;
    for (const [cacheKey, entry] of this.#entries) {
      if (!this.#isExpired(entry)) continue;
      this.#evict(cacheKey, entry);
      dropped += 1;
    }
    return dropped;
  }

  clear(): void {
    this.#epoch += 1;
    for (const [cacheKey, entry] of this.#entries) this.#evict(cacheKey, entry);
  }

  /**
   * Calls `sweep()` every `intervalMs`, so expired keys are zeroed even when no caller reads them.
   * Returns a function that stops the timer. The timer does not keep the process alive.
   */
  startSweeping(intervalMs = 30_000): () => void {
    const timer = setInterval(() => this.sweep(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async #load(
    cacheKey: string,
    companyId: string,
    companyKeyVersion: number,
    load: () => Promise<Buffer>,
  ): Promise<Buffer> {
    const epochAtStart = this.#epoch;
    try {
      const key = await load();
      if (this.#epoch === epochAtStart) this.set(companyId, companyKeyVersion, key);

      // Every waiting caller copies the key in a microtask right after this promise resolves, which
      // runs before any setImmediate callback, so the loaded buffer can be zeroed then.
      setImmediate(() => key.fill(0));
      return key;
    } finally {
      this.#loading.delete(cacheKey);
    }
  }

  #isExpired(entry: CacheEntry): boolean {
    return this.#now() - entry.loadedAt >= this.maxAgeMs;
  }

  #evictOverflow(): void {
    for (const [cacheKey, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries) return;
      this.#evict(cacheKey, entry);
    }
  }

  #evict(cacheKey: string, entry: CacheEntry): void {
    entry.key.fill(0);
    this.#entries.delete(cacheKey);
  }
}

function entryKey(companyId: string, companyKeyVersion: number): string {
  return JSON.stringify([companyId, companyKeyVersion]);
}

/** Copies into a buffer of its own, not a slice of Node's shared pool, so zeroing it touches nothing else. */
function copyKey(key: Buffer): Buffer {
  const copy = Buffer.alloc(key.length);
  key.copy(copy);
  return copy;
}
