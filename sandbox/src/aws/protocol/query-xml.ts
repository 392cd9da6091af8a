import { AwsError } from '../aws-error.js';

export const XML_NAMESPACES: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Serialises a value as Query-protocol XML: object members become elements in insertion order, arrays
 * become `<member>` lists, Dates ISO 8601 timestamps, and undefined members are left out.
 */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([name, member]) => `<${name}>${toXml(member)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function renderQueryResult(
  service: string,
  operation: string,
  result: object | undefined,
  requestId: string,
): string {
  const resultXml = result === undefined ? '' : `<${operation}Result>${toXml(result)}</${operation}Result>`;
  return (
    `<${operation}Response xmlns="${XML_NAMESPACES[service]}">${resultXml}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function renderQueryError(service: string, error: AwsError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${XML_NAMESPACES[service] ?? XML_NAMESPACES.sts}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Query parameters of a Query-protocol request (form body merged over the URL query). */
export type QueryParams = Record<string, string>;

export function requiredParam(params: QueryParams, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
      400,
    );
  }
  return value;
}

/** Reads a list parameter such as `Tags.member.1.Key`, `Tags.member.1.Value`, … into objects. */
export function listParam(
  params: QueryParams,
  name: string,
  fields: string[],
): Array<Record<string, string>> {
  const items: Array<Record<string, string>> = [];
  for (let index = 1; ; index++) {
    const item: Record<string, string> = {};
    for (const field of fields) {
      const value = params[`${name}.member.${index}.${field}`];
      if (value !== undefined) item[field] = value;
    }
    if (Object.keys(item).length === 0) return items;
    items.push(item);
  }
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
