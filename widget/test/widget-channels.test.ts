/** @jest-environment jsdom */
import { connectedAs, createFakeHost, disconnected, openSettings, routes, settle, type FakeHost, type RecordedCall, type Reply } from './support/fake-host';

let host: FakeHost;
afterEach(() => host?.cleanup());

const PIPELINES = [
  { id: 10, name: 'Sales', is_main: true },
  { id: 20, name: 'Support', is_main: false },
  { id: 30, name: 'Wholesale', is_main: false },
];

const channel = (id: string | null, name: string, pipelineId: number | null, state = 'created') => ({
  id,
  name,
  external_id: id ? `ext-${id}` : null,
  source_id: state === 'created' ? 900 + (pipelineId ?? 0) : null,
  pipeline_id: pipelineId,
  state,
});

const WHATSAPP = channel('wa-1', 'WhatsApp +7 900 000-00-01', 20);
const TELEGRAM = channel('tg-bot', 'Telegram bot', 10);

function connectedWith(extra: Record<string, unknown>): Reply {
  return { status: 200, body: { status: 'connected', login: 'bob', ...extra } };
}

const rows = () => host.root().find('.amochan-settings__channel');
const picker = (index: number) => rows().eq(index).find('select.amochan-settings__pipeline');
const pickerValues = () =>
  rows()
    .map((_i, row) => String(host.root().find(row).find('select').val()))
    .get();
const sourceCalls = () => host.calls.filter((c) => c.path === '/widget/v1/source');

describe('the channel list (servers that report channels)', () => {
  it('lists each channel with the pipeline amoCRM reports selected', async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, TELEGRAM], pipelines: PIPELINES, installation: 'active' }) }),
    });
    await openSettings(host);
    expect(
      rows()
        .map((_i, row) => host.root().find(row).find('.amochan-settings__channel-name').text())
        .get(),
    ).toEqual(['WhatsApp +7 900 000-00-01', 'Telegram bot']);
    expect(pickerValues()).toEqual(['20', '10']);
    expect(
      picker(0)
        .find('option')
        .map((_i, o) => o.textContent)
        .get(),
    ).toEqual(['Sales (main)', 'Support', 'Wholesale']);
    expect(picker(0).prop('disabled')).toBe(false);
    expect(host.root().find('.amochan-settings__warning')).toHaveLength(0);
    expect(host.text()).toContain('Connected as bob');
  });

  it('a change posts {channel, pipeline_id} and shows what the server answers, not what was picked', async () => {
    // amoCRM kept the source in Support although Wholesale was picked: the list must say Support.
    const answer = { status: 'ok', pipeline_id: 30, channels: [{ ...WHATSAPP, name: 'WhatsApp (main number)' }, TELEGRAM] };
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, TELEGRAM], pipelines: PIPELINES }),
        'POST /widget/v1/source': { status: 200, body: answer },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__channel:eq(0) select', '30');
    await settle();
    expect(sourceCalls()).toEqual([expect.objectContaining({ type: 'POST', body: { amojo_id: 'amojo-acc-1', pipeline_id: 30, channel: 'wa-1' } })]);
    expect(pickerValues()).toEqual(['20', '10']);
    expect(rows().eq(0).find('.amochan-settings__channel-name').text()).toBe('WhatsApp (main number)');
    expect(host.error()).toBe('');
  });

  it('a change the server confirms shows the new pipeline, and only that channel moves', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, TELEGRAM], pipelines: PIPELINES }),
        'POST /widget/v1/source': (call: RecordedCall) => ({
          status: 200,
          body: { status: 'ok', pipeline_id: call.body.pipeline_id, channels: [WHATSAPP, { ...TELEGRAM, pipeline_id: call.body.pipeline_id }] },
        }),
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__channel:eq(1) select', '30');
    await settle();
    expect(sourceCalls().map((c) => c.body)).toEqual([{ amojo_id: 'amojo-acc-1', pipeline_id: 30, channel: 'tg-bot' }]);
    expect(pickerValues()).toEqual(['20', '30']);
  });

  it('disables the pickers and says "Saving…" while the change is on its way', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, TELEGRAM], pipelines: PIPELINES }),
        'POST /widget/v1/source': { status: 200, body: { status: 'ok', pipeline_id: 10, channels: [{ ...WHATSAPP, pipeline_id: 10 }, TELEGRAM] } },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__channel:eq(0) select', '10');
    expect(host.root().find('select:disabled')).toHaveLength(2);
    expect(rows().eq(0).find('.amochan-settings__channel-note').text()).toBe('Saving…');
    await settle();
    expect(host.root().find('select:disabled')).toHaveLength(0);
    expect(host.text()).not.toContain('Saving…');
    expect(pickerValues()).toEqual(['10', '10']);
  });

  it('a failed change puts the picker back on the pipeline amoCRM has and says why', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, TELEGRAM], pipelines: PIPELINES }),
        'POST /widget/v1/source': { status: 502, body: { error: { code: 'amojo_error', message: 'x' } } },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__channel:eq(0) select', '30');
    await settle();
    expect(sourceCalls()).toHaveLength(1);
    expect(pickerValues()).toEqual(['20', '10']);
    expect(picker(0).prop('disabled')).toBe(false);
    expect(host.error()).toMatch(/^amoCRM did not accept/);
  });

  it('a failed change explains a missing install in the user language', async () => {
    host = createFakeHost({
      lang: 'ru',
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP], pipelines: PIPELINES }),
        'POST /widget/v1/source': { status: 409, body: { error: { code: 'install_required', message: 'x' } } },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__pipeline', '10');
    await settle();
    expect(pickerValues()).toEqual(['20']);
    expect(host.error()).toContain('Настройки → Интеграции');
  });

  it('re-reads the status when the server confirms a change without the channels', async () => {
    let moved = false;
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': () => connectedWith({ channels: [{ ...WHATSAPP, pipeline_id: moved ? 10 : 20 }], pipelines: PIPELINES }),
        'POST /widget/v1/source': () => {
          moved = true;
          return { status: 200, body: { status: 'ok', pipeline_id: 10 } };
        },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__pipeline', '10');
    await settle();
    expect(host.calls.map((c) => `${c.type} ${c.path.split('?')[0]}`)).toEqual(['GET /widget/v1/status', 'POST /widget/v1/source', 'GET /widget/v1/status']);
    expect(pickerValues()).toEqual(['10']);
  });

  it('sends channel: null for the default channel of a login that declared none', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [channel(null, 'amochan', 10)], pipelines: PIPELINES }),
        'POST /widget/v1/source': { status: 200, body: { status: 'ok', pipeline_id: 20, channels: [channel(null, 'amochan', 20)] } },
      }),
    });
    await openSettings(host);
    host.choose('.amochan-settings__pipeline', '20');
    await settle();
    expect(sourceCalls()[0].body).toEqual({ amojo_id: 'amojo-acc-1', pipeline_id: 20, channel: null });
    expect(pickerValues()).toEqual(['20']);
  });

  it('shows a pipeline amoCRM reports but does not list, instead of pretending another one', async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': connectedWith({ channels: [channel('wa-1', 'WhatsApp', 77)], pipelines: PIPELINES }) }),
    });
    await openSettings(host);
    expect(picker(0).find('option:selected').text()).toBe('Pipeline 77');
    expect(picker(0).find('option')).toHaveLength(4);
  });

  it('shows channels not yet in amoCRM with their state and no picker to use', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({
          channels: [channel('wa-2', 'New number', null, 'pending'), channel('bot', 'Bot', null, 'error')],
          pipelines: PIPELINES,
        }),
      }),
    });
    await openSettings(host);
    expect(host.root().find('select:disabled')).toHaveLength(2);
    expect(picker(0).find('option:selected').text()).toBe('Not set');
    expect(rows().eq(0).find('.amochan-settings__channel-note').text()).toBe('Being added to amoCRM…');
    expect(rows().eq(1).find('.amochan-settings__channel-note').text()).toMatch(/^amoCRM refused to add this channel/);
  });

  it('without pipelines (no amoCRM tokens on the server) shows the pipeline as text, without a picker', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP, channel('tg-bot', 'Telegram bot', null)], pipelines: null, installation: null }),
      }),
    });
    await openSettings(host);
    expect(host.root().find('select')).toHaveLength(0);
    expect(
      rows()
        .map((_i, row) => host.root().find(row).find('.amochan-settings__pipeline-text').text())
        .get(),
    ).toEqual(['Pipeline 20', 'Main pipeline']);
  });

  it('lists the channels right after connecting, from the status that follows', async () => {
    let connected = false;
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': () => (connected ? connectedWith({ login: 'alice', channels: [WHATSAPP], pipelines: PIPELINES }) : disconnected),
        'POST /widget/v1/connect': () => {
          connected = true;
          return { status: 200, body: { status: 'connected', scope_id: 's' } };
        },
      }),
    });
    await openSettings(host);
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'pw');
    host.click('.amochan-settings__connect');
    await settle();
    expect(host.text()).toContain('Connected as alice');
    expect(pickerValues()).toEqual(['20']);
  });

  it('escapes channel and pipeline names', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({
          channels: [channel('x', '<img src=x onerror=alert(1)>', 1)],
          pipelines: [{ id: 1, name: '<b>Sales</b>', is_main: true }],
        }),
      }),
    });
    await openSettings(host);
    expect(host.root().find('img, b')).toHaveLength(0);
    expect(rows().eq(0).find('.amochan-settings__channel-name').text()).toBe('<img src=x onerror=alert(1)>');
    expect(picker(0).find('option:selected').text()).toBe('<b>Sales</b> (main)');
  });
});

describe('the installation state', () => {
  it.each([
    ['en', 'Reinstall the amochan integration in amoCRM (Settings → Integrations)'],
    ['ru', 'Переустановите интеграцию amochan в amoCRM (Настройки → Интеграции)'],
  ] as const)('reauthorization_required → a warning that says what to do (%s)', async (lang, text) => {
    host = createFakeHost({
      lang,
      respond: routes({ 'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP], pipelines: null, installation: 'reauthorization_required' }) }),
    });
    await openSettings(host);
    const warning = host.root().find('.amochan-settings__warning');
    expect(warning.attr('role')).toBe('alert');
    expect(warning.text()).toContain(text);
    // The connection itself still stands: chats keep flowing through amojo.
    expect(host.root().find('.amochan-settings__disconnect')).toHaveLength(1);
  });
});

describe('servers without channels, pipelines or installation', () => {
  it('render exactly what they rendered before: login, Disconnect, no list, no warning', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': connectedAs('bob') }) });
    await openSettings(host);
    expect(host.text()).toContain('Connected as bob');
    expect(host.root().find('.amochan-settings__channels, .amochan-settings__warning, select')).toHaveLength(0);
    expect(
      host
        .root()
        .find('button')
        .map((_i, b) => b.className)
        .get(),
    ).toEqual(['amochan-settings__disconnect button-input']);
  });

  it('an empty channel list shows no list either', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': connectedWith({ channels: [], pipelines: PIPELINES }) }) });
    await openSettings(host);
    expect(host.root().find('.amochan-settings__channels')).toHaveLength(0);
  });

  it('onAddAsSource still moves every source: no channel in the body', async () => {
    host = createFakeHost({ respond: routes({ 'POST /widget/v1/source': { status: 200, body: { status: 'ok', pipeline_id: 5, channels: [WHATSAPP] } } }) });
    await expect(host.callbacks.onAddAsSource(5)).resolves.toBe(true);
    expect(sourceCalls()[0].body).toEqual({ amojo_id: 'amojo-acc-1', pipeline_id: 5 });
  });

  it('the list goes away on disconnect', async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedWith({ channels: [WHATSAPP], pipelines: PIPELINES }),
        'POST /widget/v1/disconnect': { status: 200, body: { status: 'disconnected' } },
      }),
    });
    await openSettings(host);
    host.type('.amochan-settings__password', 'pw');
    host.click('.amochan-settings__disconnect');
    await settle();
    expect(host.text()).toContain('Not connected');
    expect(host.root().find('.amochan-settings__channels')).toHaveLength(0);
  });
});
