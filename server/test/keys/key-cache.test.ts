import { describe, expect, it } from 'vitest';
import { CompanyKeyCache } from '../../src/keys/key-cache.js';

function fakeClock(start = 1_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function key(fill: number): Buffer {
  return Buffer.alloc(32, fill);
}

const zeros = Buffer.alloc(32);

/** Records the buffers the cache allocates for its own copies (copyKey uses Buffer.alloc). */
function captureAllocations(run: () => void): Buffer[] {
  const allocated: Buffer[] = [];
  const originalAlloc = Buffer.alloc;
  Buffer.alloc = ((...args: Parameters<typeof Buffer.alloc>) => {
    const buffer = originalAlloc(...args);
    allocated.push(buffer);
    return buffer;
  }) as typeof Buffer.alloc;
  try {
    run();
  } finally {
    Buffer.alloc = originalAlloc;
  }
  return allocated;
}

describe('company key cache', () => {
  it('returns a copy of the cached key', () => {
    const cache = new CompanyKeyCache();
    cache.set('c1', 1, key(7));

    const first = cache.get('c1', 1)!;
    first.fill(0);

    expect(cache.get('c1', 1)!.equals(key(7))).toBe(true);
  });

  it('keeps its own copy of the stored key', () => {
    const cache = new CompanyKeyCache();
    const original = key(7);
    cache.set('c1', 1, original);

    original.fill(0);

    expect(cache.get('c1', 1)!.equals(key(7))).toBe(true);
  });

  it('misses another version', () => {
    const cache = new CompanyKeyCache();
    cache.set('c1', 1, key(7));

    expect(cache.get('c1', 2)).toBeUndefined();
  });

  it('default maximum age is 300 s', () => {
    expect(new CompanyKeyCache().maxAgeMs).toBe(300_000);
  });

  it('entry expires at maximum age', () => {
    const clock = fakeClock();
    const cache = new CompanyKeyCache({ maxAgeMs: 300_000, now: clock.now });
    cache.set('c1', 1, key(7));

    clock.advance(299_999);
    expect(cache.get('c1', 1)).toBeDefined();
    clock.advance(1);
    expect(cache.get('c1', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('reads do not extend the age', () => {
    const clock = fakeClock();
    const cache = new CompanyKeyCache({ maxAgeMs: 1000, now: clock.now });
    cache.set('c1', 1, key(7));

    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      cache.get('c1', 1);
    }
    clock.advance(100);

    expect(cache.get('c1', 1)).toBeUndefined();
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new CompanyKeyCache({ maxEntries: 2 });
    cache.set('c1', 1, key(1));
    cache.set('c2', 1, key(2));
    cache.get('c1', 1);

    cache.set('c3', 1, key(3));

    expect(cache.size).toBe(2);
    expect(cache.get('c2', 1)).toBeUndefined();
    expect(cache.get('c1', 1)).toBeDefined();
    expect(cache.get('c3', 1)).toBeDefined();
  });

  it('zeroes its buffers on eviction, expiry, invalidation and clear', () => {
    const clock = fakeClock();
    const cache = new CompanyKeyCache({ maxEntries: 3, maxAgeMs: 1000, now: clock.now });
    const inputs = [key(1), key(2), key(3), key(4), key(5)];
    const owned = captureAllocations(() => {
      for (const [index, input] of inputs.entries()) {
        if (index === 3) clock.advance(600);
        cache.set(`c${index}`, 1, input);
      }
    });
    expect(owned).toHaveLength(5);

    // c0 and c1 were evicted when c3 and c4 arrived.
    expect(owned[0]!.equals(zeros)).toBe(true);
    expect(owned[1]!.equals(zeros)).toBe(true);

    clock.advance(400);
    expect(cache.sweep()).toBe(1);
    expect(owned[2]!.equals(zeros)).toBe(true);

    cache.invalidateCompany('c3');
    expect(owned[3]!.equals(zeros)).toBe(true);

    expect(owned[4]!.equals(zeros)).toBe(false);
    cache.clear();
    expect(owned[4]!.equals(zeros)).toBe(true);
  });

  it('invalidateCompany drops and zeroes only that company', () => {
    const cache = new CompanyKeyCache();
    cache.set('c1', 1, key(1));
    cache.set('c1', 2, key(2));
    cache.set('c2', 1, key(3));

    expect(cache.invalidateCompany('c1')).toBe(2);

    expect(cache.get('c1', 1)).toBeUndefined();
    expect(cache.get('c1', 2)).toBeUndefined();
    expect(cache.get('c2', 1)!.equals(key(3))).toBe(true);
  });

  it('clear empties the cache', () => {
    const cache = new CompanyKeyCache();
    cache.set('c1', 1, key(1));

    cache.clear();

    expect(cache.size).toBe(0);
  });

  it('getOrLoad loads once for concurrent callers', async () => {
    const cache = new CompanyKeyCache();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return key(9);
    };

    const [a, b] = await Promise.all([cache.getOrLoad('c1', 1, load), cache.getOrLoad('c1', 1, load)]);
    const c = await cache.getOrLoad('c1', 1, load);

    expect(loads).toBe(1);
    expect(a.equals(key(9))).toBe(true);
    expect(b.equals(key(9))).toBe(true);
    expect(c.equals(key(9))).toBe(true);
    expect(a).not.toBe(b);
  });

  it('getOrLoad zeroes the loaded buffer after handing out copies', async () => {
    const cache = new CompanyKeyCache();
    const loaded = key(9);

    const copy = await cache.getOrLoad('c1', 1, async () => loaded);
    await new Promise((resolve) => setImmediate(resolve));

    expect(copy.equals(key(9))).toBe(true);
    expect(loaded.equals(zeros)).toBe(true);
  });

  it('load finishing after invalidation is not cached', async () => {
    const cache = new CompanyKeyCache();
    let release: () => void = () => undefined;
    const loading = cache.getOrLoad(
      'c1',
      1,
      () => new Promise<Buffer>((resolve) => (release = () => resolve(key(9)))),
    );

    cache.invalidateCompany('c1');
    release();
    await loading;

    expect(cache.get('c1', 1)).toBeUndefined();
  });

  it('failed load is not cached', async () => {
    const cache = new CompanyKeyCache();

    await expect(
      cache.getOrLoad('c1', 1, async () => Promise.reject(new Error('provider down'))),
    ).rejects.toThrow('provider down');

    expect(await cache.getOrLoad('c1', 1, async () => key(4))).toEqual(key(4));
  });

  it('maximum age 0 disables caching', () => {
    const cache = new CompanyKeyCache({ maxAgeMs: 0 });
    cache.set('c1', 1, key(1));

    expect(cache.get('c1', 1)).toBeUndefined();
  });

  it.each([{ maxEntries: 0 }, { maxAgeMs: -1 }])('rejects options %o', (options) => {
    expect(() => new CompanyKeyCache(options)).toThrow(RangeError);
  });
});
