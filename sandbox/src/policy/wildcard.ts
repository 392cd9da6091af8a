/**
 * Compiles an IAM pattern (`*` matches any run of characters, `?` matches one) into a regular expression.
 * Action names compare case-insensitively in IAM, resource ARNs and condition values case-sensitively.
 */
export function wildcardToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (const character of pattern) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'si' : 's');
}

const cache = new Map<string, RegExp>();

export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let expression = cache.get(cacheKey);
  if (!expression) {
    expression = wildcardToRegExp(pattern, ignoreCase);
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, expression);
  }
  return expression.test(value);
}
