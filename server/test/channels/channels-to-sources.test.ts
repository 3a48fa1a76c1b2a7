import { sourceExternalId } from '../../src/amocrm/external-id';
import { deleteSources } from '../../src/amocrm/sources-api';
import { auth } from '../support/app-factory';
import { startAmocrmStack, PASSWORD, type AmocrmStack } from '../support/amocrm-stack';
import { call } from '../support/http-client';
import { waitFor } from '../support/wait';

// Several amoCRM and amojo round trips per test, on a machine shared with other suites.
jest.setTimeout(30_000);

/**
 * End to end over loopback: the provider's channels become amoCRM sources in their own pipelines,
 * messages go out through the right source, and a manager's write first from a source reaches the
 * provider as that channel.
 */
let s: AmocrmStack;
beforeEach(async () => {
  s = await startAmocrmStack();
});
afterEach(() => s.close());

const api = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => call(`${s.served.url}${path}`, method, body, auth);
const widget = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  call(`${s.served.url}/widget/v1${path}`, method, body, { 'X-Auth-Token': s.widgetToken() });
const remote = () =>
  s.emulator.amocrm.listSources(s.accountId).map((x) => ({ name: x.name, external_id: x.external_id, pipeline_id: x.pipeline_id, default: x.default }));
const ext = (channel: string) => sourceExternalId(s.accountId, 'shop', channel);
const THREE = [
  { id: 'wa', name: 'WhatsApp +1 555 0100' },
  { id: 'bot', name: 'Support bot' },
  { id: 'tg', name: 'Telegram' },
];

async function connect(): Promise<string> {
  const res = await widget('POST', '/connect', { login: 'shop', password: PASSWORD, amojo_id: s.amojoId });
  expect(res.status).toBe(200);
  return res.body!.scope_id as string;
}

const message = (conversation: string, channel?: string | null, text = 'hello') => ({
  account: 'shop',
  conversation_id: conversation,
  sender: { id: `cust-${conversation}`, name: 'Customer', phone: '+15550001111' },
  message: { type: 'text', text },
  ...(channel !== undefined ? { channel } : {}),
});

describe('channels become amoCRM sources', () => {
  it('three channels → three sources in three pipelines → messages and a write first per channel', async () => {
    expect((await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE })).status).toBe(200);
    const scopeId = await connect();
    await waitFor(() => remote().length === 3, 'three sources in amoCRM', 15_000);
    expect(remote()).toEqual([
      { name: 'WhatsApp +1 555 0100', external_id: ext('wa'), pipeline_id: s.pipelines[0], default: true },
      { name: 'Support bot', external_id: ext('bot'), pipeline_id: s.pipelines[0], default: false },
      { name: 'Telegram', external_id: ext('tg'), pipeline_id: s.pipelines[0], default: false },
    ]);
    await waitFor(async () => (await s.store.amocrmSources.listByAccount(s.accountId)).every((r) => r.state === 'created'), 'rows created', 15_000);

    // Each channel to its own pipeline, from the widget's picker.
    for (const [i, channel] of ['wa', 'bot', 'tg'].entries()) {
      const moved = await widget('POST', '/source', { amojo_id: s.amojoId, pipeline_id: s.pipelines[i + 1], channel });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ status: 'ok', pipeline_id: s.pipelines[i + 1] });
      expect(moved.body!.channels.find((c: { id: string }) => c.id === channel)).toMatchObject({ pipeline_id: s.pipelines[i + 1], state: 'created' });
    }
    expect(remote().map((r) => r.pipeline_id)).toEqual([s.pipelines[1], s.pipelines[2], s.pipelines[3]]);

    // Status shows amoCRM's truth: each channel's source and pipeline, and the picker's pipelines.
    const status = await widget('GET', `/status?amojo_id=${s.amojoId}`);
    expect(status.body).toMatchObject({
      status: 'connected',
      channels: [
        { id: 'wa', name: 'WhatsApp +1 555 0100', external_id: ext('wa'), pipeline_id: s.pipelines[1], state: 'created' },
        { id: 'bot', external_id: ext('bot'), pipeline_id: s.pipelines[2], state: 'created' },
        { id: 'tg', external_id: ext('tg'), pipeline_id: s.pipelines[3], state: 'created' },
      ],
    });
    expect(status.body!.pipelines.map((p: { name: string; is_main: boolean }) => [p.name, p.is_main])).toEqual([
      ['Sales', true],
      ['WhatsApp leads', false],
      ['Bot leads', false],
      ['Telegram leads', false],
    ]);

    // Messages per channel carry that channel's source; no channel = the default (first) one.
    for (const [conversation, channel] of [
      ['c-wa', 'wa'],
      ['c-bot', 'bot'],
      ['c-tg', 'tg'],
      ['c-default', null],
    ] as const) {
      expect((await api('POST', '/api/v1/messages', message(conversation, channel))).status).toBe(202);
    }
    const chats = await waitFor(() => {
      const list = s.emulator.control.listChats(scopeId);
      return list.length === 4 ? list : null;
    }, 'four chats at amojo');
    const sourceOf = (conversation: string) => chats.find((c) => c.conversationId === conversation)!.sourceExternalId;
    expect([sourceOf('c-wa'), sourceOf('c-bot'), sourceOf('c-tg'), sourceOf('c-default')]).toEqual([ext('wa'), ext('bot'), ext('tg'), ext('wa')]);

    // An undeclared channel is refused before anything is queued.
    const unknown = await api('POST', '/api/v1/messages', message('c-x', 'viber'));
    expect(unknown.status).toBe(422);
    expect(unknown.body!.error.code).toBe('unknown_channel');

    // A manager writes first from the bot's source: the provider hears it as channel "bot".
    await s.emulator.control.writeFirst({ scopeId, phone: '+1 555 000 2222', text: 'We can help', sourceExternalId: ext('bot') });
    const first = await waitFor(
      () => s.provider.accepted.find((e) => e.body.type === 'message.created' && e.body.data.message.text === 'We can help'),
      'write-first event',
      15_000,
    );
    expect(first.body).toMatchObject({ account: 'shop', channel: 'bot', data: { conversation: { id: null } } });

    // A manager's reply in the Telegram chat names the Telegram channel.
    await s.emulator.control.managerReply({ scopeId, conversationId: 'c-tg', text: 'Reply on Telegram' });
    const reply = await waitFor(() => s.provider.accepted.find((e) => e.body.data?.message?.text === 'Reply on Telegram'), 'reply event', 15_000);
    expect((reply.body as { channel?: unknown }).channel).toBe('tg');
    // Account events carry channel null.
    expect(s.provider.accepted.find((e) => e.body.type === 'account.connected')!.body).toMatchObject({ channel: null });

    // Renaming and dropping channels follows in amoCRM; the pipelines picked stay.
    await api('PUT', '/api/v1/accounts/shop/channels', {
      channels: [
        { id: 'bot', name: 'Support bot v2' },
        { id: 'wa', name: 'WhatsApp +1 555 0100' },
      ],
    });
    await waitFor(() => remote().length === 2 && remote().some((r) => r.name === 'Support bot v2'), 'rename and delete in amoCRM', 15_000);
    expect(remote()).toEqual([
      { name: 'WhatsApp +1 555 0100', external_id: ext('wa'), pipeline_id: s.pipelines[1], default: false },
      { name: 'Support bot v2', external_id: ext('bot'), pipeline_id: s.pipelines[2], default: true },
    ]);
    const listed = await api('GET', '/api/v1/accounts/shop/channels');
    expect(listed.body).toEqual({
      channels: [
        {
          id: 'bot',
          name: 'Support bot v2',
          sources: [expect.objectContaining({ amocrm_account_id: s.accountId, external_id: ext('bot'), pipeline_id: s.pipelines[2], state: 'created' })],
        },
        {
          id: 'wa',
          name: 'WhatsApp +1 555 0100',
          sources: [expect.objectContaining({ external_id: ext('wa'), pipeline_id: s.pipelines[1], state: 'created' })],
        },
      ],
    });

    // Disconnecting removes the account's sources.
    expect((await widget('POST', '/disconnect', { amojo_id: s.amojoId, login: 'shop', password: PASSWORD })).status).toBe(200);
    await waitFor(() => remote().length === 0, 'sources deleted on disconnect', 15_000);
    await waitFor(async () => (await s.store.amocrmSources.listByAccount(s.accountId)).length === 0, 'local rows removed', 15_000);
  });

  it('moves every source to one pipeline without a channel, and new channels follow that choice', async () => {
    await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE.slice(0, 2) });
    await connect();
    await waitFor(() => remote().length === 2, 'two sources', 15_000);
    await waitFor(async () => (await s.store.amocrmSources.listByAccount(s.accountId)).every((r) => r.state === 'created'), 'rows created', 15_000);
    const moved = await widget('POST', '/source', { amojo_id: s.amojoId, pipeline_id: String(s.pipelines[2]) });
    expect(moved.body).toMatchObject({ status: 'ok', pipeline_id: s.pipelines[2] });
    expect(remote().map((r) => r.pipeline_id)).toEqual([s.pipelines[2], s.pipelines[2]]);
    await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE });
    await waitFor(() => remote().length === 3, 'third source', 15_000);
    expect(remote()[2]).toMatchObject({ name: 'Telegram', pipeline_id: s.pipelines[2] });
    const bad = await widget('POST', '/source', { amojo_id: s.amojoId, pipeline_id: s.pipelines[1], channel: 'nope' });
    expect([bad.status, bad.body!.error.code]).toEqual([422, 'unknown_channel']);
  });

  it('a login without channels keeps one implicit source and events say channel null', async () => {
    const scopeId = await connect();
    await waitFor(() => remote().length === 1, 'implicit source', 15_000);
    expect(remote()[0]).toMatchObject({ name: 'shop', external_id: ext(''), default: true });
    await waitFor(async () => (await s.store.amocrmSources.get(s.accountId, 'shop', ''))?.state === 'created', 'row created', 15_000);
    await api('POST', '/api/v1/messages', message('c1'));
    await waitFor(() => s.emulator.control.listChats(scopeId).length === 1, 'chat', 15_000);
    expect(s.emulator.control.listChats(scopeId)[0]!.sourceExternalId).toBe(ext(''));
    await s.emulator.control.managerReply({ scopeId, conversationId: 'c1', text: 'hi' });
    const reply = await waitFor(() => s.provider.accepted.find((e) => e.body.type === 'message.created'), 'reply', 15_000);
    expect((reply.body as { channel?: unknown }).channel).toBeNull();
    expect((await api('GET', '/api/v1/accounts/shop/channels')).body).toEqual({
      channels: [{ id: null, name: 'shop', sources: [expect.objectContaining({ external_id: ext(''), state: 'created' })] }],
    });
  });
});

describe('source sync failures', () => {
  it('retries amoCRM 500 and 429 during a sync until the sources exist', async () => {
    await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE });
    s.emulator.amocrm.failNext({ count: 2, status: 500 });
    s.emulator.amocrm.failNext({ count: 1, status: 429, retryAfter: 0 });
    await connect();
    await waitFor(() => remote().length === 3, 'sources after retries', 10_000);
    const sync = await waitFor(async () => {
      const entries = (await s.store.outbox.list({})).filter((e) => e.kind === 'amocrm_sources');
      return entries.every((e) => e.state === 'done') ? entries : null;
    }, 'sync entries done');
    expect(Math.max(...sync.map((e) => e.attempts))).toBeGreaterThan(1);
  });

  it('refreshes an expired access token in the middle of syncs (one refresh), and the sync succeeds', async () => {
    await connect();
    await waitFor(() => remote().length === 1, 'implicit source', 15_000);
    const refreshes = s.emulator.amocrm.tokenRefreshCount(s.accountId);
    s.emulator.amocrm.expireAccessToken(s.accountId);
    await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE });
    await waitFor(() => remote().length === 3, 'sources after the refresh', 15_000);
    expect(s.emulator.amocrm.tokenRefreshCount(s.accountId)).toBe(refreshes + 1);
  });

  it('a source deleted in amoCRM shows as pending in the widget and is created again', async () => {
    await api('PUT', '/api/v1/accounts/shop/channels', { channels: THREE.slice(0, 2) });
    await connect();
    await waitFor(
      async () => (await s.store.amocrmSources.listByAccount(s.accountId)).filter((r) => r.state === 'created').length === 2,
      'two created',
      15_000,
    );
    const bot = (await s.store.amocrmSources.get(s.accountId, 'shop', 'bot'))!;
    await deleteSources(s.amocrm.rest.forAccount(s.accountId), [bot.amocrmSourceId!]);
    const status = await widget('GET', `/status?amojo_id=${s.amojoId}`);
    expect(status.body!.channels.map((c: { id: string; state: string }) => [c.id, c.state])).toEqual([
      ['wa', 'created'],
      ['bot', 'pending'],
    ]);
    await waitFor(() => remote().some((r) => r.external_id === ext('bot')), 'bot source recreated', 15_000);
  });
});
