// Debian's chromium driven by playwright-core (never `playwright install`).
import fs from 'fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/**
 * Decides whether a browser/e2e suite can run. Missing prerequisites skip it with a loud warning
 * on a developer machine, and fail it in CI, where a silent skip would hide a broken pipeline.
 */
export function prerequisites(suite: string, missing: string[]): { run: boolean; failure?: string } {
  if (missing.length === 0) return { run: true };
  const reason = `${suite}: cannot run — ${missing.join('; ')}`;
  if (process.env.CI) return { run: false, failure: reason };
  console.warn(`\n${'!'.repeat(100)}\n!! SKIPPED ${reason}\n${'!'.repeat(100)}\n`);
  return { run: false };
}
