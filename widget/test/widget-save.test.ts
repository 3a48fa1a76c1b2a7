/** @jest-environment jsdom */
import { connectedAs, createFakeHost, disconnected, openSettings, routes, settle, type FakeHost } from './support/fake-host';

let host: FakeHost;
afterEach(() => host?.cleanup());

describe('onSave({active, fields})', () => {
  const api = routes({
    'GET /widget/v1/status': disconnected,
    'POST /widget/v1/connect': { status: 200, body: { status: 'connected', scope_id: 's' } },
    'POST /widget/v1/disconnect': { status: 200, body: { status: 'disconnected' } },
  });

  it("with active 'Y' connects with the typed credentials and resolves", async () => {
    host = createFakeHost({ respond: api });
    await openSettings(host);
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'pw');
    const result = host.callbacks.onSave({ active: 'Y', fields: { connection: '' } });
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(true);
    expect(host.calls.map((c) => c.path)).toContain('/widget/v1/connect');
    expect(host.text()).toContain('Connected as alice');
  });

  it("with active 'Y' rejects on failure and shows why", async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': disconnected,
        'POST /widget/v1/connect': { status: 429, body: { error: { code: 'rate_limited', message: 'x' } } },
      }),
    });
    await openSettings(host);
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'pw');
    await expect(host.callbacks.onSave({ active: 'Y', fields: {} })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(host.error()).toContain('Too many attempts');
  });

  it("with active 'Y' and nothing typed, or already connected, resolves without connecting", async () => {
    host = createFakeHost({ respond: api });
    await openSettings(host);
    await expect(host.callbacks.onSave({ active: 'Y', fields: {} })).resolves.toBe(true);
    host.cleanup();
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': connectedAs('bob') }) });
    await openSettings(host);
    await expect(host.callbacks.onSave({ active: 'Y', fields: {} })).resolves.toBe(true);
    expect(host.calls.map((c) => c.path)).not.toContain('/widget/v1/connect');
  });

  it("with active 'N' disconnects the connected login with the typed password", async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': connectedAs('bob'), 'POST /widget/v1/disconnect': { status: 200, body: { status: 'disconnected' } } }),
    });
    await openSettings(host);
    host.type('.amochan-settings__password', 'pw');
    await expect(host.callbacks.onSave({ active: 'N', fields: {} })).resolves.toBe(true);
    const call = host.calls.find((c) => c.path === '/widget/v1/disconnect')!;
    expect(call.body).toEqual({ amojo_id: 'amojo-acc-1', login: 'bob', password: 'pw' });
    expect(host.text()).toContain('Not connected');
    expect(host.settingsWrites.at(-1)).toEqual({ connection: '' });
  });

  it("with active 'N' and no password typed, disconnects with just amojo_id through $authorizedAjax (the token vouches)", async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': connectedAs('bob'), 'POST /widget/v1/disconnect': { status: 200, body: { status: 'disconnected' } } }),
    });
    await openSettings(host);
    await expect(host.callbacks.onSave({ active: 'N', fields: {} })).resolves.toBe(true);
    const call = host.calls.find((c) => c.path === '/widget/v1/disconnect')!;
    expect(call).toMatchObject({ via: 'authorizedAjax', type: 'POST', contentType: 'application/json' });
    expect(call.body).toEqual({ amojo_id: 'amojo-acc-1' });
    expect(host.text()).toContain('Not connected');
    expect(host.settingsWrites.at(-1)).toEqual({ connection: '' });
  });

  it("with active 'N', no password and a server that wants one (400), asks for the password and still resolves", async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': connectedAs('bob'),
        'POST /widget/v1/disconnect': { status: 400, body: { error: { code: 'invalid_request', message: 'body.password: is required' } } },
      }),
    });
    await openSettings(host);
    await expect(host.callbacks.onSave({ active: 'N', fields: {} })).resolves.toBe(true);
    expect(host.error()).toBe('Enter the password to confirm.');
    expect(host.text()).toContain('Connected as bob');
  });

  it("with active 'N' and nothing connected, makes no call", async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    await expect(host.callbacks.onSave({ active: 'N', fields: {} })).resolves.toBe(true);
    expect(host.calls.map((c) => c.path)).toEqual(['/widget/v1/status?amojo_id=amojo-acc-1']);
  });

  it("with active 'N', a failed disconnect does not block disabling", async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': connectedAs('bob'), 'POST /widget/v1/disconnect': { status: 0 } }) });
    await openSettings(host);
    host.type('.amochan-settings__password', 'pw');
    await expect(host.callbacks.onSave({ active: 'N', fields: {} })).resolves.toBe(true);
    expect(host.error()).toMatch(/cannot be reached/);
  });
});

describe('the Disconnect button', () => {
  beforeEach(async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': connectedAs('bob'), 'POST /widget/v1/disconnect': { status: 200, body: { status: 'disconnected' } } }),
    });
    await openSettings(host);
  });

  it('asks for the password first', async () => {
    host.click('.amochan-settings__disconnect');
    await settle();
    expect(host.error()).toBe('Enter the password to confirm.');
    expect(host.calls.map((c) => c.path)).not.toContain('/widget/v1/disconnect');
  });

  it('disconnects with login and password, then shows the login form', async () => {
    host.type('.amochan-settings__password', 'pw');
    host.click('.amochan-settings__disconnect');
    await settle();
    const call = host.calls.find((c) => c.path === '/widget/v1/disconnect')!;
    expect(call).toMatchObject({ type: 'POST', contentType: 'application/json' });
    expect(call.body).toEqual({ amojo_id: 'amojo-acc-1', login: 'bob', password: 'pw' });
    expect(host.text()).toContain('Not connected');
    expect(host.root().find('.amochan-settings__connect')).toHaveLength(1);
  });
});
