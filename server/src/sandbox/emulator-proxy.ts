import express, { type Request, type Response, type Router } from 'express';
import { fetchWithTimeout } from '@amochan/amojo';
import { CONTROL_PREFIX } from '@amochan/amojo-emulator';

/**
 * The embedded emulator's control API under the server's own `/_emulator/`, so a provider's CI can
 * play the manager (reply, write first, typing, reactions), read listings and inject faults with
 * curl against the one URL it already knows. Forwarded as is to the emulator's loopback port rather
 * than re-implemented: the routes, bodies and answers are exactly the standalone emulator's.
 * Sandbox only: production never loads this module, so `/_emulator` is a plain 404 there.
 */

const BODY_LIMIT = '5mb';
const FORWARDED_HEADERS = ['content-type', 'accept'];
const PROXY_TIMEOUT_MS = 30_000;

export function createEmulatorProxy(emulatorUrl: string): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: BODY_LIMIT }));
  router.use(async (req: Request, res: Response) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && Buffer.isBuffer(req.body) && req.body.length > 0;
    try {
      // The deadline covers the whole answer, body included (the emulator's control API answers JSON only).
      const upstream = await fetchWithTimeout(
        (url, init) => fetch(url, init),
        `${emulatorUrl}${CONTROL_PREFIX}${req.url}`,
        { method: req.method, headers, ...(hasBody ? { body: req.body as Buffer } : {}) },
        PROXY_TIMEOUT_MS,
      );
      res.status(upstream.status);
      const type = upstream.headers.get('content-type');
      if (type) res.type(type);
      res.send(upstream.text);
    } catch (err) {
      res.status(502).json({ error: { code: 'emulator_unavailable', message: `the embedded emulator did not answer: ${(err as Error).message}` } });
    }
  });
  return router;
}
