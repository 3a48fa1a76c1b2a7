import express from 'express';
import { createAmocrmEmulator, type AmocrmControl } from './amocrm';
import { createControl, type EmulatorControl } from './control/control';
import { CONTROL_PREFIX, createControlRouter } from './control/http-routes';
import { EmulatorEvents } from './events';
import { FaultInjector } from './faults';
import { createApiHandler } from './http/api-handler';
import { API_PREFIX } from './http/routes';
import { resolveOptions, type EmulatorOptions } from './options';
import type { EmulatorSettings } from './settings';
import { EmulatorStore } from './state/store';
import { WebhookSender } from './webhooks/sender';

export interface EmulatorApp {
  app: express.Express;
  control: EmulatorControl;
  channelId: string;
  secret: string;
  /** The emulated amoCRM REST side (OAuth, account, sources, pipelines). */
  amocrm: AmocrmControl;
}

/**
 * The emulator as an express app, for embedding (the server's sandbox mode mounts or listens on it).
 * The amojo API lives under /v2/origin/custom, the unsigned control API under /_emulator.
 */
export function createEmulatorApp(opts: EmulatorOptions = {}): EmulatorApp {
  const o = resolveOptions(opts);
  const store = new EmulatorStore();
  const faults = new FaultInjector();
  const events = new EmulatorEvents();
  const settings: EmulatorSettings = { msgidUniqueness: o.msgidUniqueness };
  const sender = new WebhookSender({ fetch: o.fetch, clock: o.clock, timeoutMs: o.webhookTimeoutMs, faults, events });
  const control = createControl({ store, sender, faults, events, clock: o.clock, ids: o.ids, settings, defaultChannelId: o.channelId });
  control.addChannel({ id: o.channelId, secret: o.secret, webhookUrl: o.webhookUrl });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Raw bytes for every content type: Content-MD5 and the signature are checked on exactly what arrived.
  app.use(API_PREFIX, express.raw({ type: () => true, limit: o.bodyLimit }));
  app.use(
    API_PREFIX,
    createApiHandler({
      store,
      faults,
      ids: o.ids,
      settings,
      clock: o.clock,
      dateToleranceMs: o.dateToleranceMs,
      events,
      logRequests: o.logRequests,
      logger: o.logger,
    }),
  );
  // amoCRM's REST side first: its control routes live under /_emulator/amocrm, before the catch-all.
  const amocrm = createAmocrmEmulator({ ...opts.amocrm, clock: o.clock, fetch: o.fetch });
  app.use(amocrm.router);
  app.use(CONTROL_PREFIX, createControlRouter(control, events));
  app.use((req, res) => {
    res.status(404).json({ status: 0, error_code: 404, error_type: 'ORIGIN_NOT_FOUND', error_description: 'not found' });
  });
  // body-parser errors (oversized, broken encoding) in amojo's error shape.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    const description = err instanceof Error ? err.message : 'internal error';
    res
      .status(status)
      .json({ status: 0, error_code: status, error_type: status < 500 ? 'ORIGIN_INVALID_REQUEST' : 'ORIGIN_INTERNAL_ERROR', error_description: description });
  });
  return { app, control, channelId: o.channelId, secret: o.secret, amocrm: amocrm.control };
}
