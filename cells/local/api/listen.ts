import type { FastifyInstance } from 'fastify';

/** Listens and returns the bound port and the cell's URL. */
export async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  scheme: 'http' | 'https',
): Promise<{ port: number; url: string }> {
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { port: bound, url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
