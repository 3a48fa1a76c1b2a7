import { startEmulator, type RunningEmulator } from '../src';

export interface AmocrmHarness {
  emu: RunningEmulator;
  clock: { now: number };
  post(path: string, body: unknown, token?: string): Promise<{ status: number; json: any; headers: Headers }>;
  call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }>;
  /** Installs the default integration in a fresh account and returns its tokens. */
  install(accountArgs?: Record<string, unknown>): Promise<{ accountId: number; access: string; refresh: string; expiresIn: number }>;
}

export async function startAmocrm(amocrm: Record<string, unknown> = {}): Promise<AmocrmHarness> {
  const clock = { now: Date.parse('2026-01-01T10:00:00Z') };
  const emu = await startEmulator({ clock: () => clock.now, amocrm: { redirectUri: 'https://amochan.test/amocrm/v1/oauth/callback', ...amocrm } });
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${emu.url}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const h: AmocrmHarness = {
    emu,
    clock,
    call,
    post: (path, body, token) => call('POST', path, token, body),
    async install(accountArgs = {}) {
      const account = emu.amocrm.createAccount(accountArgs);
      const { code } = emu.amocrm.issueAuthorizationCode({ accountId: account.id });
      const i = emu.amocrm.integration;
      const r = await h.post('/oauth2/access_token', {
        client_id: i.clientId,
        client_secret: i.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: i.redirectUri,
      });
      if (r.status !== 200) throw new Error(`install failed: ${JSON.stringify(r.json)}`);
      return { accountId: account.id, access: r.json.access_token, refresh: r.json.refresh_token, expiresIn: r.json.expires_in };
    },
  };
  return h;
}
