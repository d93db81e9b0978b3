import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureWarnings, readTlsFiles, TlsOptionsError } from '../../../../cells/local/api/tls.js';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { warnMissingTool } from '../../../support/missing-tool.js';
import { runCellCli, TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';

/**
 * Optional TLS: `--tls-cert`/`--tls-key` both or neither (exit 2 naming the missing one), files
 * checked at start, and a cell serving HTTPS whose session cookie carries Secure. The certificates
 * are self-signed with `openssl` (node cannot make an X.509 certificate); without openssl the
 * option checks still run and the HTTPS cases say loudly that they did not.
 */

const dir = tempDataDir('tls-');
const file = (name: string) => path.join(dir, name);

function makeCert(name: string): { cert: string; key: string } {
  const cert = file(`${name}.crt`);
  const key = file(`${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

let openssl: string | undefined;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch (error) {
  openssl = String(error);
}

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('readTlsFiles', () => {
  it('reads neither, and refuses one without the other naming the missing option', () => {
    expect(readTlsFiles({ certFile: undefined, keyFile: undefined })).toBeUndefined();
    expect(() => readTlsFiles({ certFile: 'a.crt', keyFile: undefined })).toThrow(
      new TlsOptionsError('--tls-cert and --tls-key go together: --tls-key is missing'),
    );
    expect(() => readTlsFiles({ certFile: undefined, keyFile: 'a.key' })).toThrow(/--tls-cert is missing/);
  });

  it('names a file it cannot read, and one that is not PEM', () => {
    fs.writeFileSync(file('junk.crt'), 'not a certificate');

    expect(() => readTlsFiles({ certFile: file('none.crt'), keyFile: file('none.key') })).toThrow(
      /--tls-cert .*none\.crt cannot be read/,
    );
    expect(() => readTlsFiles({ certFile: file('junk.crt'), keyFile: file('junk.crt') })).toThrow(
      /--tls-cert .*junk\.crt is not a PEM certificate/,
    );
  });
});

describe('exposureWarnings', () => {
  it('warns beyond loopback, and about clear text without TLS', () => {
    expect(exposureWarnings('127.0.0.1', true, false)).toEqual([]);
    expect(exposureWarnings('0.0.0.0', false, true)).toHaveLength(1);
    expect(exposureWarnings('0.0.0.0', false, false)[1]).toMatch(
      /no TLS: .*--tls-cert <file> --tls-key <file>/,
    );
  });
});

describe('npm start with one TLS option', () => {
  it('exits 2 naming the missing option', async () => {
    const { code, out } = await runCellCli(['--port', '0', '--data-dir', dir, '--tls-cert', file('x.crt')]);

    expect(code).toBe(2);
    expect(out).toContain('--tls-cert and --tls-key go together: --tls-key is missing');
  });
});

describe('a cell with TLS', () => {
  if (openssl !== undefined) {
    it('needs openssl', () => {
      warnMissingTool({
        tool: 'openssl',
        reason: openssl as string,
        install: 'apt-get install -y openssl',
        notRun: 'the HTTPS cases of test/cells/local/api/tls.test.ts',
      });
    });
    return;
  }

  let cell: LocalCell;
  let pem: { cert: string; key: string };
  const cellDir = tempDataDir('tls-cell-');

  beforeAll(async () => {
    pem = makeCert('cell');
    const tls = readTlsFiles({ certFile: pem.cert, keyFile: pem.key });
    cell = await startLocalCell({
      dataDir: cellDir,
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      processorThread: 'inline',
      logLevel: 'silent',
      ...(tls ? { tls } : {}),
    });
  });

  afterAll(async () => {
    await cell?.close();
    fs.rmSync(cellDir, { recursive: true, force: true });
  });

  /** A request over HTTPS that trusts only the test certificate. */
  function request(method: string, route: string, body?: string) {
    return new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
      const req = https.request(
        `${cell.url}${route}`,
        { method, ca: fs.readFileSync(pem.cert), headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, cookies: res.headers['set-cookie'] ?? [] }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('serves HTTPS and sets Secure on the session cookie', async () => {
    const health = await request('GET', '/health');
    const signIn = await request('POST', '/signin', JSON.stringify({ key: TEST_OPERATOR_KEY }));

    expect(cell.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(health.status).toBe(200);
    expect(signIn.status).toBe(200);
    expect(signIn.cookies.find((c) => c.startsWith('invoice_cell_session='))).toMatch(/; Secure/);
  });

  it("refuses a key that is not the certificate's", () => {
    const other = makeCert('other');

    expect(() => readTlsFiles({ certFile: pem.cert, keyFile: other.key })).toThrow(
      /--tls-key .*other\.key is not the key of --tls-cert/,
    );
  });
});
