import { fetchWithTimeout } from '@amochan/amojo';
import { AmocrmControlError } from '@amochan/amojo-emulator';
import type { Store } from '../storage/types';
import { OAUTH_CALLBACK_PATH } from './start-sandbox';
import type { SandboxDeps } from './types';

/**
 * The console's amoCRM card: the install step (the emulator plays the administrator who clicks
 * "Install", our own OAuth callback does the rest) and what amoCRM now holds for the demo account —
 * its pipelines and the sources our server created there, read from the emulator itself so the
 * console shows amoCRM's truth rather than our own bookkeeping.
 */

/** Our own callback exchanges the code with the emulator and stores tokens: loopback, but several round trips. */
const INSTALL_TIMEOUT_MS = 15_000;

export interface InstallOutcome {
  /** Our callback's answer, as amoCRM (or the administrator's browser) would get it. */
  status: number;
  body: unknown;
}

export interface AmocrmAccountView {
  account: { id: number; domain: string; name: string };
  /** Our server's record, in the console's words: installed (live tokens), reauthorization_required, uninstalled; null before any install. */
  installation: 'installed' | 'reauthorization_required' | 'uninstalled' | null;
  pipelines: Array<{ id: number; name: string; is_main: boolean }>;
  sources: Array<{ id: number; name: string; external_id: string; pipeline_id: number; pipeline_name: string | null }>;
}

export interface AmocrmConsole {
  install(selfUrl: string): Promise<InstallOutcome>;
  view(): Promise<AmocrmAccountView | null>;
}

export function createAmocrmConsole(store: Pick<Store, 'installations'>, sandbox: Pick<SandboxDeps, 'amocrm' | 'amocrmAccountId'>): AmocrmConsole {
  const { amocrm, amocrmAccountId } = sandbox;
  return {
    async install(selfUrl) {
      const issued = amocrm.issueAuthorizationCode({ accountId: amocrmAccountId, fromWidget: true });
      // The redirect URI's host may be a stand-in (PORT=0): the query is what matters, sent to us.
      const callback = `${selfUrl}${OAUTH_CALLBACK_PATH}${new URL(issued.callbackUrl).search}`;
      const { status, text } = await fetchWithTimeout(
        (url, init) => fetch(url, init),
        callback,
        { headers: { accept: 'application/json' } },
        INSTALL_TIMEOUT_MS,
      );
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON (an HTML page or a proxy's error): shown as it came.
      }
      return { status, body };
    },

    async view() {
      const account = amocrm.getAccount(amocrmAccountId);
      if (!account) return null;
      const installation = await store.installations.get(amocrmAccountId).catch(() => null);
      let sources: ReturnType<typeof amocrm.listSources> = [];
      try {
        sources = amocrm.listSources(amocrmAccountId);
      } catch (err) {
        if (!(err instanceof AmocrmControlError)) throw err;
      }
      const pipelineName = new Map(account.pipelines.map((p) => [p.id, p.name]));
      return {
        account: { id: account.id, domain: account.domain, name: account.name },
        installation: installation ? (installation.status === 'active' ? 'installed' : installation.status) : null,
        pipelines: account.pipelines.map((p) => ({ id: p.id, name: p.name, is_main: p.is_main })),
        sources: sources.map((s) => ({
          id: s.id,
          name: s.name,
          external_id: s.external_id,
          pipeline_id: s.pipeline_id,
          pipeline_name: pipelineName.get(s.pipeline_id) ?? null,
        })),
      };
    },
  };
}
