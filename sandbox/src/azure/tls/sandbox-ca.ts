import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bitString,
  booleanTrue,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** The sandbox's own certificate authority and the server certificate it issued for 127.0.0.1. */
export interface SandboxTls {
  /** Path of the CA certificate (PEM) that clients of the sandbox's HTTPS listener trust. */
  caPath: string;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const dayMs = 24 * 60 * 60 * 1000;
const caLifetimeDays = 3650;
const serverLifetimeDays = 825;
/** Certificates closer than this to their end are issued again at start-up. */
const renewBeforeDays = 30;

const ecdsaWithSha256 = sequence(objectIdentifier('1.2.840.10045.4.3.2'));

function name(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier('2.5.4.3'), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
}

function subjectPublicKeyInfo(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = subjectPublicKeyInfo(publicKey);
  // For a P-256 key the BIT STRING is the last 66 bytes: tag, length, unused-bits byte, 65-byte point.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

interface CertificateRequest {
  subject: string;
  issuer: string;
  subjectKey: KeyObject;
  issuerKey: KeyObject;
  issuerPublicKey: KeyObject;
  lifetimeDays: number;
  extensions: Buffer[];
}

function issueCertificate(request: CertificateRequest): string {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + request.lifetimeDays * dayMs);
  const extensions = [
    ...request.extensions,
    extension('2.5.29.14', false, octetString(keyIdentifier(request.subjectKey))),
    extension('2.5.29.35', false, sequence(implicitPrimitive(0, keyIdentifier(request.issuerPublicKey)))),
  ];
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    ecdsaWithSha256,
    name(request.issuer),
    sequence(time(notBefore), time(notAfter)),
    name(request.subject),
    subjectPublicKeyInfo(request.subjectKey),
    explicit(3, sequence(...extensions)),
  );
  // node:crypto returns ECDSA signatures DER-encoded, which is the form X.509 stores.
  const signature = sign('sha256', tbs, request.issuerKey);
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature));
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

function createTls(): Omit<SandboxTls, 'caPath'> {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = 'RedApp sandbox CA';

  const caPem = issueCertificate({
    subject: caName,
    issuer: caName,
    subjectKey: ca.publicKey,
    issuerKey: ca.privateKey,
    issuerPublicKey: ca.publicKey,
    lifetimeDays: caLifetimeDays,
    extensions: [
      extension('2.5.29.19', true, sequence(booleanTrue())),
      // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110 with one unused bit.
      extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1)),
    ],
  });
  const serverCertPem = issueCertificate({
    subject: '127.0.0.1',
    issuer: caName,
    subjectKey: server.publicKey,
    issuerKey: ca.privateKey,
    issuerPublicKey: ca.publicKey,
    lifetimeDays: serverLifetimeDays,
    extensions: [
      extension('2.5.29.19', true, sequence()),
      // digitalSignature (bit 0) with seven unused bits.
      extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)),
      extension('2.5.29.37', false, sequence(objectIdentifier('1.3.6.1.5.5.7.3.1'))),
      extension(
        '2.5.29.17',
        false,
        sequence(
          implicitPrimitive(7, Buffer.from([127, 0, 0, 1])),
          implicitPrimitive(2, Buffer.from('localhost')),
        ),
      ),
    ],
  });
  // The CA's private key is not kept: the sandbox issues one server certificate per CA.
  return {
    caPem,
    serverCertPem,
    serverKeyPem: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function stillValid(pem: string, now: number): boolean {
  const certificate = new X509Certificate(pem);
  return Date.parse(certificate.validTo) - renewBeforeDays * dayMs > now;
}

function writePrivate(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * Loads the CA and server certificate from `DIR/azure-tls/`, or creates them at first start (and again
 * when the server certificate nears its end). The CA certificate keeps its path, so clients configured
 * with it pick up a new CA on their next start.
 */
export function loadOrCreateSandboxTls(stateDir: string): SandboxTls {
  const directory = join(stateDir, 'azure-tls');
  const paths = {
    ca: join(directory, 'ca.pem'),
    cert: join(directory, 'server-cert.pem'),
    key: join(directory, 'server-key.pem'),
  };

  if (existsSync(paths.ca) && existsSync(paths.cert) && existsSync(paths.key)) {
    const loaded = {
      caPath: paths.ca,
      caPem: readFileSync(paths.ca, 'utf8'),
      serverCertPem: readFileSync(paths.cert, 'utf8'),
      serverKeyPem: readFileSync(paths.key, 'utf8'),
    };
    if (stillValid(loaded.serverCertPem, Date.now()) && stillValid(loaded.caPem, Date.now())) return loaded;
  }

  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const created = createTls();
  writePrivate(paths.key, created.serverKeyPem);
  writePrivate(paths.cert, created.serverCertPem);
  writePrivate(paths.ca, created.caPem);
  return { caPath: paths.ca, ...created };
}
