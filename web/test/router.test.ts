import { describe, expect, it } from 'vitest';
import { keyManagementPath, matchRoute } from '../src/app/router';

describe('matchRoute', () => {
  it.each([
    ['/', { page: 'home' }],
    ['/sign-in', { page: 'sign-in' }],
    ['/companies/', { page: 'companies' }],
    ['/companies/c-1/key-management', { page: 'key-management', companyId: 'c-1' }],
    ['/companies/c-1/other', { page: 'not-found' }],
    ['/api/session', { page: 'not-found' }],
  ])('matches %s', (path, route) => {
    expect(matchRoute(path)).toEqual(route);
  });

  it('round-trips an encoded company id', () => {
    expect(matchRoute(keyManagementPath('a/b c'))).toEqual({ page: 'key-management', companyId: 'a/b c' });
  });
});
