import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';

/**
 * The few sandbox decisions main.ts takes, kept here so the composition root stays a list of calls:
 * where provider events go by default (the console's demo provider), with which secret, and the line
 * that tells a newcomer where to click.
 */

export const DEMO_PROVIDER_PATH = '/sandbox/provider/webhook';

/** Does this config route provider events to the console's demo provider (explicitly or by default)? */
export function usesDemoProvider(config: Pick<Config, 'sandbox' | 'SANDBOX_CONSOLE' | 'PROVIDER_WEBHOOK_URL'>): boolean {
  if (!config.sandbox || !config.SANDBOX_CONSOLE) return false;
  return !config.PROVIDER_WEBHOOK_URL || new URL(config.PROVIDER_WEBHOOK_URL).pathname === DEMO_PROVIDER_PATH;
}

/**
 * Before listen: the demo provider needs a secret to verify events with. One per process, generated
 * when none is configured; an operator-set PROVIDER_WEBHOOK_URL keeps whatever secret (or none) they set.
 */
export function withSandboxSecret(config: Config): Config {
  if (!usesDemoProvider(config) || config.PROVIDER_WEBHOOK_SECRET) return config;
  return { ...config, PROVIDER_WEBHOOK_SECRET: randomBytes(24).toString('hex') };
}

/** After listen (the URL needs our port): events go to our own demo provider unless configured otherwise. */
export function withDemoProviderUrl(config: Config, baseUrl: string): Config {
  if (!usesDemoProvider(config) || config.PROVIDER_WEBHOOK_URL) return config;
  return { ...config, PROVIDER_WEBHOOK_URL: `${baseUrl}${DEMO_PROVIDER_PATH}` };
}

/** The line a newcomer looks for after `npm start`: in the JSON log, and as plain text on a terminal. */
export function announceSandbox(logger: Logger, input: { url: string; login: string; password: string; apiToken: string | undefined; console: boolean }): void {
  const consoleUrl = `${input.url}/sandbox`;
  if (!input.console) {
    logger.info({ sandbox: true }, 'sandbox console is off (SANDBOX_CONSOLE=false)');
    return;
  }
  logger.info(
    { sandbox: true, console: consoleUrl, demoLogin: input.login },
    `Sandbox console: open ${consoleUrl} in a browser — connect the widget with login "${input.login}" / password "${input.password}"`,
  );
  if (process.stderr.isTTY) {
    process.stderr.write(
      [
        '',
        '  amochan is running in SANDBOX mode (no amoCRM account needed)',
        `  → open ${consoleUrl}`,
        `    widget login: ${input.login}   password: ${input.password}   provider API token: ${input.apiToken ?? '(none)'}`,
        '    Ctrl+C stops it.',
        '',
        '',
      ].join('\n'),
    );
  }
}
