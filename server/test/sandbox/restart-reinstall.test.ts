import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createSilentLogger } from '../../src/lib/logger';
import { startServer, type RunningServer } from '../../src/main';
import { SANDBOX_AMOJO_ID } from '../../src/sandbox/types';
import { call, json } from '../support/http-client';
import { waitFor } from '../support/wait';

/**
 * A sandbox restart on the same database: the new embedded emulator knows no tokens and the token
 * key is new, so the sandbox installs the demo account again by itself; the stored binding and its
 * sources come back in the fresh emulator without a click.
 */

jest.setTimeout(40_000);

describe('sandbox restart on a stored installation', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-sandbox-restart-'));
  const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'sandbox.sqlite')}`, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
  let server: RunningServer | undefined;
  const account = async () => (await json(`${server!.url}/sandbox/api/state`)).body.amocrmAccount;
  const twoSources = () =>
    waitFor(
      async () => {
        const a = await account();
        return a.installation === 'installed' && a.sources.length === 2 ? a : null;
      },
      'the demo account installed with two sources',
      20_000,
      100,
    );

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs the demo account again in the fresh emulator, and its sources come back', async () => {
    server = await startServer(config, createSilentLogger());
    expect((await json(`${server.url}/sandbox/api/amocrm/install`, 'POST')).status).toBe(200);
    const token = (await json(`${server.url}/sandbox/api/widget-token`)).body.token as string;
    const connected = await call(
      `${server.url}/widget/v1/connect`,
      'POST',
      { login: 'demo', password: 'demo', amojo_id: SANDBOX_AMOJO_ID },
      { 'X-Auth-Token': token },
    );
    expect(connected.status).toBe(200);
    await twoSources();
    await server.stop();

    server = await startServer(config, createSilentLogger());
    const again = await twoSources();
    expect(again.sources.map((s: { name: string }) => s.name).sort()).toEqual(['Demo WhatsApp', 'Demo bot']);
  });
});
