import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireTool } from './helpers/tools.js';

describe('requireTool', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('missing tool fails in CI', () => {
    vi.stubEnv('CI', 'true');
    expect(() => requireTool(false, 'AWS CLI v2 (aws)')).toThrow(
      'AWS CLI v2 (aws) is required in CI but was not found',
    );
  });

  it('missing tool skips outside CI', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireTool(false, 'AWS CLI v1 (aws)')).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('AWS CLI v1 (aws)'));
  });

  it('present tool is usable', () => {
    expect(requireTool(true, 'anything')).toBe(true);
  });
});
