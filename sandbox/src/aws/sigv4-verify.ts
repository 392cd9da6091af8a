import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export interface SignatureParts {
  accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(header: string | undefined): SignatureParts | undefined {
  if (!header?.startsWith('AWS4-HMAC-SHA256 ')) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) fields.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const scope = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (scope?.length !== 5 || scope[4] !== 'aws4_request' || !signedHeaders || !signature) return undefined;
  return {
    accessKeyId: scope[0]!,
    scopeDate: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  query: Record<string, string | string[]>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Reads `X-Amz-Date` (yyyymmddThhmmssZ) as a Date. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
}

/**
 * Recomputes the request's SigV4 signature with `@smithy/signature-v4` from the secret the sandbox holds
 * for the access key, over exactly the headers the client listed as signed, and compares it in constant time.
 */
export async function verifySignature(
  request: ReceivedRequest,
  parts: SignatureParts,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  signingDate: Date,
): Promise<boolean> {
  const signedHeaders: Record<string, string> = {};
  for (const name of parts.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return false;
    signedHeaders[name] = value;
  }
  const hostHeader = request.headers.host ?? '';
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    region: parts.region,
    service: parts.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    // Without this the signer would add and sign an x-amz-content-sha256 header the client never sent.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: hostHeader.split(':')[0] ?? '',
      path: request.path,
      query: request.query,
      headers: signedHeaders,
      body: request.body.length > 0 ? request.body : undefined,
    },
    {
      signingDate,
      signingRegion: parts.region,
      signingService: parts.service,
      signableHeaders: new Set(parts.signedHeaders),
      unsignableHeaders: new Set(
        Object.keys(request.headers).filter((name) => !parts.signedHeaders.includes(name)),
      ),
    },
  );
  const authorization = String(signed.headers.authorization ?? signed.headers.Authorization ?? '');
  const expected = /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
  const expectedBuffer = Buffer.from(expected);
  const actualBuffer = Buffer.from(parts.signature);
  return expectedBuffer.length === actualBuffer.length && timingSafeEqual(expectedBuffer, actualBuffer);
}
