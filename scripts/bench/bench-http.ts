import http from 'node:http';

/**
 * The bench's HTTP client: node:http with a keep-alive Agent. Global fetch (undici) in Node 20
 * costs several times more CPU per request (WHATWG streams) — measured here at ~7k vs ~47k trivial
 * requests/s — and on a 2-core machine the client's CPU is taken from the cell.
 *
 * @example
 * const res = await request(port, apiKey, 'POST', stage.routePath, body);
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export function request(
  port: number,
  apiKey: string,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: body
          ? {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              'x-api-key': apiKey,
            }
          : { 'x-api-key': apiKey },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
