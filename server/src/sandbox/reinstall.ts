import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { Store } from '../storage/types';
import { createAmocrmConsole } from './amocrm-console';
import type { SandboxDeps } from './types';

/**
 * The embedded emulator starts empty and the token key is new on every start, so an installation a
 * previous sandbox run stored names tokens nobody can use any more. Installing again right after
 * listen — what the console's button does — keeps the demo working across a restart instead of
 * leaving a stale installation that fails on its first amoCRM call.
 */
export async function reinstallAfterRestart(input: {
  store: Pick<Store, 'installations'>;
  sandbox: Pick<SandboxDeps, 'amocrm' | 'amocrmAccountId'>;
  config: Pick<Config, 'HOST'>;
  port: number;
  logger: Logger;
}): Promise<void> {
  const previous = await input.store.installations.get(input.sandbox.amocrmAccountId);
  if (!previous || previous.status === 'uninstalled') return;
  const outcome = await createAmocrmConsole(input.store, input.sandbox).install(`http://${loopbackHost(input.config.HOST)}:${input.port}`);
  if (outcome.status === 200)
    input.logger.info(
      { sandbox: true, amocrmAccountId: input.sandbox.amocrmAccountId },
      'sandbox: the demo amoCRM account was installed again in the fresh emulator',
    );
  else
    input.logger.warn(
      { sandbox: true, status: outcome.status, body: outcome.body },
      "sandbox: could not install the demo amoCRM account again; use the console's install button",
    );
}

/** Where we reach ourselves: a wildcard bind answers on loopback. */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
