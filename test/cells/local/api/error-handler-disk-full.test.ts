import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DISK_FULL_RETRY_AFTER_SEC,
  registerErrorHandler,
} from '../../../../cells/local/api/error-handler.js';
import { createLogger } from '../../../../cells/local/logger.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';

describe('registerErrorHandler', () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers a write that failed on a full disk with 503 and Retry-After, without an error log', async () => {
    // Prepare: a route whose write fails the way better-sqlite3 reports SQLITE_FULL, wrapped once.
    const logger = createLogger({ level: 'silent' });
    const logged = vi.fn();
    logger.error = logged;
    app = Fastify({ logger: false });
    registerErrorHandler(app, { topology: CELL_TOPOLOGY, logger });
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    app.post('/ops/write', async () => {
      throw new Error('redrive failed', { cause: full });
    });

    // Act
    const response = await app.inject({ method: 'POST', url: '/ops/write' });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(DISK_FULL_RETRY_AFTER_SEC));
    expect(response.json()).toEqual({
      message: "the cell's disk is full: the request was not applied; retry once space is freed",
    });
    expect(logged).not.toHaveBeenCalled();
  });
});
