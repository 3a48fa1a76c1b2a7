import type { Config } from '../config';
import type { AppDeps } from '../deps';
import type { HttpPlugin } from '../http/app';
import type { Exchange } from '../http/pipeline';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { OutboxWorker } from '../outbox/worker';
import type { Store } from '../storage/types';
import { randomBytes } from 'node:crypto';
import { announceSandbox, withDemoProviderUrl, withSandboxSecret } from './bootstrap';
import { createEventBus, sanitizeForLog, type EventBus } from './event-bus';
import { createEmulatorProxy } from './emulator-proxy';
import { reinstallAfterRestart } from './reinstall';
import { createSandboxRouter } from './router';
import { replaySandboxBindings, SANDBOX_API_TOKEN, SANDBOX_LOGIN, SANDBOX_PASSWORD, sandboxRedirectUri, startSandbox, type AmojoTarget } from './start-sandbox';
import { SANDBOX_AMOCRM_ACCOUNT_ID, SANDBOX_AMOJO_ID, type SandboxDeps } from './types';
import { wireSandboxEvents } from './wire-events';

/**
 * Sandbox mode as one plug-in: main.ts loads this module (lazily, so a production start never loads
 * the emulator or twig) only when the config asks for sandbox mode. It supplies what production gets
 * from the environment — the amojo target (an embedded emulator), the config overrides (secrets, the
 * demo provider's URL) — plus the console's routes and the tap that feeds its live log.
 */

export interface SandboxMode {
  target: AmojoTarget;
  /** The emulator and the demo identities the console drives. */
  sandbox: SandboxDeps;
  /** The console's live log (GET /sandbox/events): every edge crossing, as the console shows it. */
  bus: EventBus;
  /** The config with the sandbox's defaults: API token, channel secret, the demo provider's secret. */
  config: Config;
  /** Before listen: re-registers stored bindings with the emulator, which starts empty. */
  prepare(deps: AppDeps): Promise<void>;
  http(deps: AppDeps): HttpPlugin;
  /** After listen (our URL is known): where provider events go by default. */
  workerConfig(config: Config, url: string): Config;
  /** After the worker exists: points the emulator's hooks at us and feeds the live log. */
  attach(input: { worker: OutboxWorker; port: number }): void;
  /** The line a newcomer looks for: where the console is, and the demo credentials. */
  announce(url: string): void;
  /** Before the server closes: open event streams would hold server.close() until the timeout. */
  close(): void;
}

/** The HTTP side of the sandbox: its console routes and the tap on the public surfaces. */
export function sandboxHttpPlugin(deps: Pick<AppDeps, 'config' | 'store' | 'services'>, sandbox: SandboxDeps, bus: EventBus): HttpPlugin {
  const tap = (e: Exchange) =>
    bus.publish(e.surface === 'widget_api' ? 'widget_api' : 'provider_api', {
      method: e.method,
      path: e.path,
      status: e.status,
      durationMs: e.durationMs,
      // Secrets (the widget's password) are masked before anything reaches the log.
      ...(e.requestBody !== undefined ? { requestBody: sanitizeForLog(e.requestBody) } : {}),
      ...(e.responseBody !== undefined ? { responseBody: sanitizeForLog(e.responseBody) } : {}),
    });
  // The emulator's control API is for scripts (a provider's CI), so it stays on without the console;
  // SANDBOX_CONSOLE=false only leaves /sandbox unanswered (404).
  const routes = [{ path: '/_emulator', handler: createEmulatorProxy(sandbox.emulatorUrl) }];
  if (deps.config.SANDBOX_CONSOLE) routes.push({ path: '/sandbox', handler: createSandboxRouter(deps, sandbox, bus) });
  return { tap, routes };
}

export async function startSandboxMode(input: { config: Config; logger: Logger; store: Store; lifecycle: Lifecycle }): Promise<SandboxMode> {
  const { logger } = input;
  const target = await startSandbox(input);
  const config = withSandboxSecret({
    ...input.config,
    PROVIDER_API_TOKEN: input.config.PROVIDER_API_TOKEN ?? SANDBOX_API_TOKEN,
    AMOJO_CHANNEL_SECRET: target.secret,
    // The emulator's channel has a bot, so direction "out" works in the sandbox without setup.
    AMOJO_BOT_ID: input.config.AMOJO_BOT_ID ?? target.botId,
    ...withEmulatedOAuth(input.config, target),
  });
  const bus = createEventBus();
  const sandbox: SandboxDeps = {
    emulator: target.emulator,
    amocrm: target.amocrm,
    emulatorUrl: target.baseUrl,
    amojoAccountId: SANDBOX_AMOJO_ID,
    amocrmAccountId: SANDBOX_AMOCRM_ACCOUNT_ID,
    login: SANDBOX_LOGIN,
    password: SANDBOX_PASSWORD,
  };
  return {
    target,
    sandbox,
    bus,
    config,
    prepare: (deps) => replaySandboxBindings(deps),
    http: (deps) => sandboxHttpPlugin(deps, sandbox, bus),
    workerConfig: withDemoProviderUrl,
    attach({ worker, port }) {
      input.lifecycle.onShutdown('sandbox event wiring', wireSandboxEvents({ bus, emulator: target.emulator, worker }));
      target.emulator.setWebhookUrl(`http://127.0.0.1:${port}/amojo/v1/webhook/:scope_id`);
      // Not awaited: a start never waits on (or fails because of) the demo's convenience.
      void reinstallAfterRestart({ store: input.store, sandbox, config: input.config, port, logger }).catch((err: unknown) =>
        logger.warn({ err }, "sandbox: could not install the demo amoCRM account again; use the console's install button"),
      );
    },
    announce: (url) =>
      announceSandbox(logger, { url, login: SANDBOX_LOGIN, password: SANDBOX_PASSWORD, apiToken: config.PROVIDER_API_TOKEN, console: config.SANDBOX_CONSOLE }),
    close: () => bus.close(),
  };
}

/**
 * The OAuth integration, on against the embedded emulator: its integration's id and secret, our own
 * callback as the redirect URI, the emulator as every account's API base, and a token encryption key
 * that dies with the process (the emulator forgets its tokens on restart anyway) unless the operator
 * set one. `oauth` is what the config derives from the first three when it loads the environment.
 */
function withEmulatedOAuth(config: Config, target: AmojoTarget): Partial<Config> {
  return {
    AMOCRM_CLIENT_ID: target.amocrm.integration.clientId,
    AMOCRM_CLIENT_SECRET: target.amocrm.integration.clientSecret,
    AMOCRM_REDIRECT_URI: sandboxRedirectUri(config),
    AMOCRM_API_BASE_URL: config.AMOCRM_API_BASE_URL ?? target.baseUrl,
    TOKEN_ENCRYPTION_KEY: config.TOKEN_ENCRYPTION_KEY ?? randomBytes(32).toString('hex'),
    ...('oauth' in config ? { oauth: true } : {}),
  };
}
