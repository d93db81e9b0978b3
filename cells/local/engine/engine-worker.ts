import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../logger.js';
import { CellEngine, type EngineConfig } from './engine.js';
import type { EngineMessage, EngineRequest } from './engine-host.js';

/**
 * Worker-thread entry of the cell engine (engine.ts). It answers the API thread's requests
 * (ingest, wake, snapshot, faults, max page count, stop) over the parent port by id; everything durable happens
 * on this thread's database connection.
 */
const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');

const post = (message: EngineMessage) => port.postMessage(message);

let engine: CellEngine;
try {
  engine = CellEngine.open(workerData as EngineConfig);
  engine.start();
} catch (error) {
  post({ type: 'fatal', error: serializeError(error) });
  process.exit(1);
}

port.on('message', (request: EngineRequest) => {
  if (request.type === 'wake') {
    engine.wake();
    return;
  }
  const { id } = request;
  const reply = (payload?: unknown) => post({ type: 'reply', id, payload });
  const fail = (error: unknown) => post({ type: 'reply', id, error: serializeError(error) });
  try {
    switch (request.type) {
      case 'ingest':
        // One reply for the whole message; a failed batch carries its error in its slot.
        Promise.all(
          request.batches.map((batch) =>
            engine.ingest(batch).catch((error: unknown) => ({ error: serializeError(error) })),
          ),
        ).then(reply, fail);
        return;
      case 'snapshot':
        return reply(engine.snapshot());
      case 'faults':
        engine.setFaults(request.failEventIds);
        return reply();
      case 'maxPageCount':
        engine.setMaxPageCount(request.pages);
        return reply();
      case 'stop':
        engine.stop().then(
          () => {
            reply();
            port.close();
          },
          (error: unknown) => {
            fail(error);
            port.close();
          },
        );
        return;
    }
  } catch (error) {
    fail(error);
  }
});

post({ type: 'ready' });
