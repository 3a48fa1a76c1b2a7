/** @jest-environment jsdom */
import Twig from 'twig';
import en from '../i18n/en.json';
import settingsSource from '../templates/settings.twig';

// Rendered with the npm `twig` package, the same library amoCRM ships as `twigjs`.
function render(params: Record<string, unknown>): HTMLElement {
  const html = Twig.twig({ data: settingsSource }).render({ t: en.ui, login: '', busy: false, error: '', ...params });
  const holder = document.createElement('div');
  holder.innerHTML = html;
  return holder;
}

const text = (el: HTMLElement) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('templates/settings.twig', () => {
  it('disconnected: a login form with a Connect button and no named inputs', () => {
    const el = render({ state: 'disconnected', login: 'alice' });
    expect(text(el)).toContain('Not connected');
    expect(el.querySelector<HTMLInputElement>('.amochan-settings__login-input')?.value).toBe('alice');
    expect(el.querySelector<HTMLInputElement>('.amochan-settings__password')?.type).toBe('password');
    expect(el.querySelector('.amochan-settings__connect')?.textContent?.trim()).toBe('Connect');
    expect(el.querySelectorAll('input[name]')).toHaveLength(0);
  });

  it('connected: the login and a Disconnect button', () => {
    const el = render({ state: 'connected', login: 'bob' });
    expect(text(el)).toContain('Connected as bob');
    expect(el.querySelector('.amochan-settings__disconnect')).not.toBeNull();
    expect(el.querySelector('.amochan-settings__connect')).toBeNull();
  });

  it('loading: neither form nor buttons', () => {
    const el = render({ state: 'loading' });
    expect(text(el)).toContain('Checking the connection');
    expect(el.querySelector('button')).toBeNull();
  });

  it('busy: disables the inputs and says what is going on', () => {
    const el = render({ state: 'disconnected', busy: true });
    expect(el.querySelector<HTMLButtonElement>('.amochan-settings__connect')?.disabled).toBe(true);
    expect(el.querySelector<HTMLInputElement>('.amochan-settings__password')?.disabled).toBe(true);
    expect(text(el)).toContain('Connecting…');
  });

  it('escapes the login and the error text', () => {
    const el = render({ state: 'connected', login: '<img src=x onerror=alert(1)>', error: '<b>boom</b>' });
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.amochan-settings__error b')).toBeNull();
    expect(el.querySelector('.amochan-settings__login')?.textContent).toBe('<img src=x onerror=alert(1)>');
  });

  it('connected with channels: a picker per movable channel, the reported pipeline selected', () => {
    const el = render({
      state: 'connected',
      login: 'bob',
      pipelines: [
        { id: 1, name: 'Sales', is_main: true },
        { id: 2, name: 'Support', is_main: false },
      ],
      channels: [
        { index: 0, name: 'WhatsApp', state: 'created', selected: 2, listed: true, movable: true, saving: false },
        { index: 1, name: 'Bot', state: 'pending', selected: null, listed: false, movable: false, saving: false },
      ],
    });
    const selects = el.querySelectorAll<HTMLSelectElement>('select.amochan-settings__pipeline');
    expect(Array.from(selects, (s) => [s.value, s.disabled])).toEqual([
      ['2', false],
      ['', true],
    ]);
    expect(selects[0].getAttribute('aria-label')).toBe('Pipeline for new leads of WhatsApp');
  });

  it('warns about re-authorization above the rest, only when told to', () => {
    expect(render({ state: 'connected', reauth: true }).querySelector('.amochan-settings__warning')?.textContent).toContain(
      'Reinstall the amochan integration',
    );
    expect(render({ state: 'connected', reauth: false }).querySelector('.amochan-settings__warning')).toBeNull();
  });

  it('shows the error in an alert region', () => {
    const el = render({ state: 'disconnected', error: 'Wrong login or password.' });
    expect(el.querySelector('[role=alert]')?.textContent?.trim()).toBe('Wrong login or password.');
  });
});
