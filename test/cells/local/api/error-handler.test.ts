import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerErrorHandler } from '../../../../cells/local/api/error-handler.js';
import { HttpError } from '../../../../cells/local/api/http-error.js';
import { createLogger } from '../../../../cells/local/logger.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';

/** An app with the cell's error handler and one route that throws `error`, as a plugin would. */
function appThrowing(error: Error): { app: FastifyInstance; logged: ReturnType<typeof vi.fn> } {
  const logger = createLogger({ level: 'silent' });
  const logged = vi.fn();
  logger.error = logged;
  const app = Fastify({ logger: false });
  registerErrorHandler(app, { topology: CELL_TOPOLOGY, logger });
  app.get('/plugin/route', async () => {
    throw error;
  });
  return { app, logged };
}

class StatusCodeError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'StatusCodeError';
    this.statusCode = statusCode;
  }
}

describe('registerErrorHandler', () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers a plugin HttpError with its status, headers and field errors', async () => {
    // Prepare
    const built = appThrowing(
      new HttpError(400, 'from must be before to', {
        errors: [{ path: '/from', message: 'must be before /to' }],
        headers: { 'retry-after': '3' },
      }),
    );
    app = built.app;

    // Act
    const response = await app.inject({ method: 'GET', url: '/plugin/route' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json()).toEqual({
      message: 'from must be before to',
      errors: [{ path: '/from', message: 'must be before /to' }],
    });
  });

  it('answers another error carrying a 4xx statusCode with its message only', async () => {
    // Prepare
    app = appThrowing(new StatusCodeError(404, 'no such view')).app;

    // Act
    const response = await app.inject({ method: 'GET', url: '/plugin/route' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ message: 'no such view' });
  });

  it('answers any other error with a logged 500 that reveals nothing', async () => {
    // Prepare
    const built = appThrowing(new Error('database is locked'));
    app = built.app;

    // Act
    const response = await app.inject({ method: 'GET', url: '/plugin/route' });

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ message: 'internal error; the request was not applied' });
    expect(built.logged).toHaveBeenCalledOnce();
  });

  it('answers an unknown route with 404 naming the stages', async () => {
    // Prepare
    app = appThrowing(new Error('unused')).app;

    // Act
    const response = await app.inject({ method: 'GET', url: '/nowhere?x=1' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.json<{ message: string }>().message).toBe(
      `no route for GET /nowhere; see GET /health, POST /invoices/{stage} (stages: ${CELL_TOPOLOGY.stages.map((s) => s.name).join(', ')})`,
    );
  });
});
