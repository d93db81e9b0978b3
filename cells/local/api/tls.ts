import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';

/**
 * Optional TLS of the local cell (`--tls-cert <file> --tls-key <file>`, both or neither): the PEM
 * files read and checked once at start, so a wrong path or a key that is not the certificate's
 * fails the start with the file named instead of the first handshake, and the warnings a cell
 * listening beyond loopback logs at start.
 *
 * @example
 * const tls = readTlsFiles({ certFile: 'cell.crt', keyFile: 'cell.key' }); // { cert, key } | undefined
 */

/** The PEM certificate (chain) and private key the cell serves HTTPS with. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A `--tls-cert`/`--tls-key` problem: only one given, a file unreadable, not PEM, or a mismatch. */
export class TlsOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsOptionsError';
  }
}

function readPem(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new TlsOptionsError(`${option} ${file} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The TLS material of the two options, undefined when neither is given; throws
 * {@link TlsOptionsError} when only one is, or when the files are not a matching PEM pair.
 */
export function readTlsFiles(files: {
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}): TlsMaterial | undefined {
  const { certFile, keyFile } = files;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const missing = certFile === undefined ? '--tls-cert' : '--tls-key';
    throw new TlsOptionsError(`--tls-cert and --tls-key go together: ${missing} is missing`);
  }
  const cert = readPem('--tls-cert', certFile);
  const key = readPem('--tls-key', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new TlsOptionsError(`--tls-cert ${certFile} is not a PEM certificate: ${(error as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new TlsOptionsError(`--tls-key ${keyFile} is not a PEM private key: ${(error as Error).message}`);
  }
  if (!matches) throw new TlsOptionsError(`--tls-key ${keyFile} is not the key of --tls-cert ${certFile}`);
  return { cert, key };
}

/** The warnings of a cell listening on `host`: none on loopback. */
export function exposureWarnings(host: string, loopback: boolean, tls: boolean): string[] {
  if (loopback) return [];
  const warnings = [
    `listening on ${host}, beyond loopback: every route except /health, /openapi.json and the sign-in page needs a key or a dashboard session`,
  ];
  if (!tls) {
    warnings.push(
      'no TLS: keys and dashboard session cookies cross the network in clear text; start with --tls-cert <file> --tls-key <file>',
    );
  }
  return warnings;
}
