/** @jest-environment jsdom */
import $ from 'jquery';
import { connectedAs, createFakeHost, disconnected, openSettings, routes, settle, SERVER, type FakeHost } from './support/fake-host';

let host: FakeHost;
afterEach(() => host?.cleanup());

describe('settings($modal_body)', () => {
  it('asks the server for the state and renders the login form when not connected', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    expect(host.calls[0]).toMatchObject({ type: 'GET', url: `${SERVER}/widget/v1/status?amojo_id=amojo-acc-1` });
    expect(host.text()).toContain('Not connected');
    expect(host.root().find('input.amochan-settings__login-input')).toHaveLength(1);
    expect(host.root().find('input[type=password]')).toHaveLength(1);
    expect(host.root().find('button.amochan-settings__connect').text()).toContain('Connect');
    // amoCRM saves every named input of the settings form: ours must have no name.
    expect(host.root().find('input[name]')).toHaveLength(0);
  });

  it('shows "Connected as <login>" and a Disconnect button when connected', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': connectedAs('bob') }) });
    await openSettings(host);
    expect(host.text()).toContain('Connected as bob');
    expect(host.root().find('.amochan-settings__disconnect')).toHaveLength(1);
    expect(host.root().find('.amochan-settings__connect')).toHaveLength(0);
    expect(host.$modal.find('input[name=connection]').val()).toBe('bob');
  });

  it('speaks the user language (APP.lang_id = ru)', async () => {
    host = createFakeHost({ lang: 'ru', respond: routes({ 'GET /widget/v1/status': connectedAs('bob') }) });
    await openSettings(host);
    expect(host.text()).toContain('Подключено как bob');
  });

  it('reads amojo_id from the deprecated AMOCRM global when APP is absent', async () => {
    host = createFakeHost({ legacyGlobal: true, amojoId: 'legacy-id', respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    expect(host.calls[0].url).toBe(`${SERVER}/widget/v1/status?amojo_id=legacy-id`);
  });

  it('says so when the account id cannot be read, without calling the server', async () => {
    host = createFakeHost({ amojoId: null });
    await openSettings(host);
    expect(host.calls).toHaveLength(0);
    expect(host.error()).toBe('Could not read the amoCRM account. Reload the page and try again.');
  });

  it('keeps the form usable and explains when the status check fails', async () => {
    host = createFakeHost({ respond: () => ({ status: 0 }) });
    await openSettings(host);
    expect(host.text()).toContain('Could not check the connection');
    expect(host.error()).toMatch(/cannot be reached/);
    expect(host.root().find('.amochan-settings__connect')).toHaveLength(1);
  });
});

describe('connecting from the form', () => {
  beforeEach(async () => {
    host = createFakeHost({
      respond: routes({
        'GET /widget/v1/status': disconnected,
        'POST /widget/v1/connect': { status: 200, body: { status: 'connected', scope_id: 'scope-1' } },
      }),
    });
    await openSettings(host);
  });

  it('posts the credentials as JSON and shows "Connected as <login>"', async () => {
    host.type('.amochan-settings__login-input', ' alice ');
    host.type('.amochan-settings__password', 's3cret-pass');
    host.click('.amochan-settings__connect');
    await settle();
    const connect = host.calls.find((c) => c.path === '/widget/v1/connect')!;
    expect(connect).toMatchObject({ type: 'POST', url: `${SERVER}/widget/v1/connect`, contentType: 'application/json' });
    expect(connect.body).toEqual({ login: 'alice', password: 's3cret-pass', amojo_id: 'amojo-acc-1' });
    expect(host.text()).toContain('Connected as alice');
    expect(host.settingsWrites).toEqual([{ connection: 'alice' }]);
  });

  it('never leaves the password in the settings, the form, or browser storage', async () => {
    localStorage.clear();
    sessionStorage.clear();
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 's3cret-pass');
    host.click('.amochan-settings__connect');
    await settle();
    const everything = JSON.stringify({
      writes: host.settingsWrites,
      settings: host.widget.get_settings?.(),
      html: host.$modal.html(),
      local: { ...localStorage },
      session: { ...sessionStorage },
      cookie: document.cookie,
    });
    expect(everything).not.toContain('s3cret-pass');
  });

  it('clears the password field after a failed attempt and keeps the login', async () => {
    host.setRespond(routes({ 'POST /widget/v1/connect': { status: 401, body: { error: { code: 'invalid_credentials', message: 'x' } } } }));
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'wrong');
    host.click('.amochan-settings__connect');
    await settle();
    expect(host.error()).toBe('Wrong login or password. Check them and try again.');
    expect(host.root().find('.amochan-settings__password').val()).toBe('');
    expect(host.root().find('.amochan-settings__login-input').val()).toBe('alice');
    expect(host.settingsWrites).toEqual([]);
  });

  it('asks for both fields before calling the server', async () => {
    host.type('.amochan-settings__login-input', 'alice');
    host.click('.amochan-settings__connect');
    await settle();
    expect(host.calls.map((c) => c.path)).not.toContain('/widget/v1/connect');
    expect(host.error()).toBe('Enter both the login and the password.');
  });

  it('connects on Enter in the password field', async () => {
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'pw');
    host
      .root()
      .find('.amochan-settings__password')
      .trigger($.Event('keydown', { key: 'Enter', which: 13 }));
    await settle();
    expect(host.text()).toContain('Connected as alice');
  });
});

describe('server errors, in the user language', () => {
  const cases: Array<[string, number, string | undefined, string, string]> = [
    ['invalid credentials', 401, 'invalid_credentials', 'Wrong login or password', 'Неверный логин или пароль'],
    ['rate limited', 429, 'rate_limited', 'Too many attempts', 'Слишком много попыток'],
    ['network failure', 0, undefined, 'cannot be reached', 'недоступен'],
    ['server error', 500, 'internal', 'cannot be reached', 'недоступен'],
    ['proxy 502 without our code', 502, undefined, 'cannot be reached', 'недоступен'],
    ['amoCRM error', 502, 'amojo_error', 'amoCRM did not accept', 'amoCRM не принял'],
    ['invalid token', 403, 'invalid_token', 'amoCRM could not confirm', 'amoCRM не подтвердил'],
    ['invalid request', 400, 'invalid_request', 'Enter both the login', 'Введите логин и пароль'],
    [
      'amojo_id not the one amoCRM reported',
      403,
      'amojo_id_mismatch',
      'does not match the one amoCRM reported for it. Reinstall',
      'не совпадает с тем, который сообщил amoCRM. Переустановите',
    ],
    [
      'integration not installed yet',
      409,
      'install_required',
      'finish installing amochan (allow access), then try again',
      'завершите установку amochan (разрешите доступ)',
    ],
  ];

  for (const lang of ['en', 'ru'] as const) {
    it.each(cases)(`%s → the ${lang} message`, async (_name, status, code, enText, ruText) => {
      host = createFakeHost({
        lang,
        respond: routes({
          'GET /widget/v1/status': disconnected,
          'POST /widget/v1/connect': { status, body: code ? { error: { code, message: 'server text' } } : undefined },
        }),
      });
      await openSettings(host);
      host.type('.amochan-settings__login-input', 'alice');
      host.type('.amochan-settings__password', 'pw');
      host.click('.amochan-settings__connect');
      await settle();
      expect(host.error()).toContain(lang === 'en' ? enText : ruText);
      expect(host.text()).not.toContain(lang === 'en' ? 'Connected as' : 'Подключено как');
    });
  }
});
