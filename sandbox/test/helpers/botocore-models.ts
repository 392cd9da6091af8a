import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface Shape {
  type: string;
  members?: Record<string, { shape: string; locationName?: string }>;
  required?: string[];
  member?: { shape: string; locationName?: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  flattened?: boolean;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number };
}

export interface ServiceModel {
  operations: Record<
    string,
    { output?: { shape: string; resultWrapper?: string }; errors?: Array<{ shape: string }> }
  >;
  shapes: Record<string, Shape>;
}

/** Finds botocore's data directory: $BOTOCORE_DATA_DIR, else the botocore that AWS CLI v1's Python imports. */
export function findBotocoreData(): string | undefined {
  const fromEnv = process.env.BOTOCORE_DATA_DIR;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const python of ['python3', 'python']) {
    const result = spawnSync(
      python,
      ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
      { encoding: 'utf8' },
    );
    const dir = result.stdout?.trim();
    if (result.status === 0 && dir && existsSync(join(dir, 'data'))) return join(dir, 'data');
  }
  return undefined;
}

const cache = new Map<string, ServiceModel>();

/** Loads the newest API version of a service's model (service-2.json, possibly gzip-compressed). */
export function loadModel(dataDir: string, service: string): ServiceModel {
  const cached = cache.get(service);
  if (cached) return cached;
  const versions = readdirSync(join(dataDir, service)).sort();
  const dir = join(dataDir, service, versions.at(-1)!);
  const plain = join(dir, 'service-2.json');
  const text = existsSync(plain)
    ? readFileSync(plain, 'utf8')
    : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
  const model = JSON.parse(text) as ServiceModel;
  cache.set(service, model);
  return model;
}
