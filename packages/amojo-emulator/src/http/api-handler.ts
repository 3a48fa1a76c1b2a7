import { performance } from 'node:perf_hooks';
import type { Request, Response } from 'express';
import type { EmulatorEvents, RequestEvent } from '../events';
import { dispatch, type DispatchDeps } from './dispatch';
import { API_PREFIX } from './routes';

export interface ApiHandlerDeps extends DispatchDeps {
  events: EmulatorEvents;
  logRequests: boolean;
  logger: (line: string) => void;
}

const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The express edge of the emulated API: hands the raw bytes to dispatch, waits out injected
 * latency, answers, then reports what crossed the edge. Mounted behind express.raw so the body is
 * exactly what the client hashed.
 */
export function createApiHandler(deps: ApiHandlerDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = performance.now();
    const at = deps.clock();
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = {
      date: header(req, 'date'),
      contentType: header(req, 'content-type'),
      contentMd5: header(req, 'content-md5'),
      signature: header(req, 'x-signature'),
    };
    // req.url is the raw remainder after the API prefix; rebuilding from it (not originalUrl) keeps the
    // signed path right when an embedding app mounts the emulator under a prefix of its own.
    const rawPath = `${API_PREFIX}${req.url === '/' ? '' : req.url}`;
    const outcome = dispatch({ method: req.method, rawPath, body, headers }, deps);
    if (deps.faults.latencyMs > 0) await sleep(deps.faults.latencyMs);

    const text = outcome.body === undefined ? '' : typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body);
    res.status(outcome.status);
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    if (text === '') res.end();
    else {
      if (typeof outcome.body !== 'string') res.setHeader('Content-Type', 'application/json');
      res.end(text);
    }

    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    if (deps.logRequests) {
      const why = outcome.reason ? ` (${outcome.reason})` : '';
      deps.logger(`[amojo-emulator] ${req.method} ${rawPath} → ${outcome.status}${why} ${durationMs} ms`);
    }
    if (deps.events.listenerCount('request') === 0) return;
    const event: RequestEvent = {
      seq: deps.events.nextSeq(),
      at,
      method: req.method,
      path: rawPath,
      endpoint: outcome.endpoint,
      scopeId: outcome.scopeId,
      status: outcome.status,
      durationMs,
      headers: {
        date: headers.date ?? null,
        contentType: headers.contentType ?? null,
        contentMd5: headers.contentMd5 ?? null,
        signature: headers.signature ?? null,
      },
      errorType: outcome.errorType,
      reason: outcome.reason,
      injected: outcome.injected,
      requestBody: body.toString('utf8'),
      responseBody: text,
    };
    deps.events.safeEmit('request', event);
  };
}
