import { auth } from '../support/app-factory';
import { startAmocrmStack, PASSWORD, type AmocrmStack } from '../support/amocrm-stack';
import { call } from '../support/http-client';
import { waitFor } from '../support/wait';

// Several amoCRM and amojo round trips per test, on a machine shared with other suites.
jest.setTimeout(30_000);

let s: AmocrmStack;
beforeEach(async () => {
  s = await startAmocrmStack({ sourcesLimit: 2 });
});
afterEach(() => s.close());

describe('the source limit', () => {
  it('dead-letters the sync with a clear error, shown as state "error" in GET channels and widget status, and messages still flow', async () => {
    const channels = [
      { id: 'a', name: 'A' },
      { id: 'b', name: 'B' },
      { id: 'c', name: 'C' },
    ];
    await call(`${s.served.url}/api/v1/accounts/shop/channels`, 'PUT', { channels }, auth);
    const connected = await call(
      `${s.served.url}/widget/v1/connect`,
      'POST',
      { login: 'shop', password: PASSWORD, amojo_id: s.amojoId },
      { 'X-Auth-Token': s.widgetToken() },
    );
    expect(connected.status).toBe(200);
    const dead = await waitFor(async () => (await s.store.outbox.list({ state: 'dead' })).find((e) => e.kind === 'amocrm_sources'), 'dead sync entry', 15_000);
    expect(dead.lastError).toMatch(/^source_limit_reached: .*PUT \/api\/v1\/accounts\/:login\/channels/);
    expect(dead.attempts).toBe(1);

    const listed = await call(`${s.served.url}/api/v1/accounts/shop/channels`, 'GET', undefined, auth);
    expect(listed.body!.channels.map((c: { sources: Array<{ state: string }> }) => c.sources[0]!.state)).toEqual(['error', 'error', 'error']);
    expect(listed.body!.channels[0].sources[0].error).toMatch(/source_limit_reached/);
    const status = await call(`${s.served.url}/widget/v1/status?amojo_id=${s.amojoId}`, 'GET', undefined, { 'X-Auth-Token': s.widgetToken() });
    expect(status.body!.channels.map((c: { state: string }) => c.state)).toEqual(['error', 'error', 'error']);

    // Messages are never blocked by a failed sync: they go out without a source.
    const sent = await call(
      `${s.served.url}/api/v1/messages`,
      'POST',
      { account: 'shop', conversation_id: 'c1', channel: 'b', sender: { id: 'u1', name: 'U' }, message: { type: 'text', text: 'hi' } },
      auth,
    );
    expect(sent.status).toBe(202);
    await waitFor(async () => (await s.store.messages.get(sent.body!.id as string))?.status === 'sent', 'message sent', 15_000);

    // Fewer channels: the next sync succeeds and clears the error.
    await call(`${s.served.url}/api/v1/accounts/shop/channels`, 'PUT', { channels: channels.slice(0, 2) }, auth);
    await waitFor(() => s.emulator.amocrm.listSources(s.accountId).length === 2, 'two sources', 15_000);
    await waitFor(async () => (await s.store.amocrmSources.listByAccount(s.accountId)).every((r) => r.state === 'created'), 'rows created', 15_000);
  });
});
