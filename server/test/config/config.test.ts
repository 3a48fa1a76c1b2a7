import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/lib/config-error';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('loadConfig', () => {
  it('empty environment = sandbox with defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      sandbox: true,
      PORT: 3000,
      CREDENTIALS_VERIFIER: 'local',
      DATABASE_URL: 'sqlite:./data/amochan.sqlite',
      TRUST_PROXY: 'loopback',
      allowedOrigins: [],
    });
  });

  it('a channel turns sandbox off and needs the provider token', () => {
    const unverified = { ALLOW_UNVERIFIED_BINDINGS: 'true' };
    expect(problemsOf({ AMOJO_CHANNEL_ID: 'c', AMOJO_CHANNEL_SECRET: 's', ...unverified })).toEqual([expect.stringMatching(/^PROVIDER_API_TOKEN:/)]);
    expect(loadConfig({ AMOJO_CHANNEL_ID: 'c', AMOJO_CHANNEL_SECRET: 's', PROVIDER_API_TOKEN: 't', ...unverified }).sandbox).toBe(false);
  });

  it('widget tokens need an expected audience outside sandbox mode', () => {
    const live = { AMOJO_CHANNEL_ID: 'c', AMOJO_CHANNEL_SECRET: 's', PROVIDER_API_TOKEN: 't', AMOCRM_CLIENT_SECRET: 'cs', ALLOW_UNVERIFIED_BINDINGS: 'true' };
    expect(problemsOf(live)).toEqual([expect.stringMatching(/^AMOCRM_TOKEN_AUDIENCE:/)]);
    expect(loadConfig({ ...live, AMOCRM_TOKEN_AUDIENCE: 'https://integration.example.com' }).AMOCRM_TOKEN_AUDIENCE).toBe('https://integration.example.com');
    expect(loadConfig({ AMOCRM_CLIENT_SECRET: 'cs' }).sandbox).toBe(true);
  });

  describe('OAuth install and unverified bindings', () => {
    const live = { AMOJO_CHANNEL_ID: 'c', AMOJO_CHANNEL_SECRET: 's', PROVIDER_API_TOKEN: 't' };
    const oauth = { AMOCRM_CLIENT_ID: 'id', AMOCRM_CLIENT_SECRET: 'cs', AMOCRM_REDIRECT_URI: 'https://amochan.example.com/amocrm/v1/oauth/callback' };

    it('a production server without OAuth refuses to start unless ALLOW_UNVERIFIED_BINDINGS=true', () => {
      expect(problemsOf(live)).toEqual([expect.stringMatching(/^AMOCRM_REDIRECT_URI: OAuth install is not configured.*ALLOW_UNVERIFIED_BINDINGS=true/)]);
      expect(loadConfig({ ...live, ALLOW_UNVERIFIED_BINDINGS: 'true' })).toMatchObject({ oauth: false, ALLOW_UNVERIFIED_BINDINGS: true });
      expect(loadConfig({}).oauth).toBe(false);
    });

    it('OAuth is on with client id, secret and redirect URI, and then needs TOKEN_ENCRYPTION_KEY', () => {
      expect(problemsOf({ ...live, ...oauth })).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: required with OAuth/)]);
      const config = loadConfig({ ...live, ...oauth, TOKEN_ENCRYPTION_KEY: 'f'.repeat(64) });
      // The widget token's audience defaults to the redirect URI's origin.
      expect(config).toMatchObject({ oauth: true, AMOCRM_TOKEN_AUDIENCE: 'https://amochan.example.com' });
      // A sandbox without a key has nowhere to keep tokens: it runs without OAuth.
      expect(loadConfig({ ...oauth }).oauth).toBe(false);
      expect(loadConfig({ ...oauth, TOKEN_ENCRYPTION_KEY: 'f'.repeat(64) }).oauth).toBe(true);
    });

    it('a half-configured OAuth or a short key is named', () => {
      expect(problemsOf({ ...live, AMOCRM_REDIRECT_URI: oauth.AMOCRM_REDIRECT_URI })).toEqual([
        expect.stringMatching(/^AMOCRM_REDIRECT_URI: needs AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET/),
      ]);
      expect(problemsOf({ ...live, ...oauth, TOKEN_ENCRYPTION_KEY: 'short' })).toEqual([
        expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: must carry at least 32 bytes/),
      ]);
      expect(problemsOf({ AMOCRM_API_BASE_URL: 'not a url' })).toEqual([expect.stringMatching(/^AMOCRM_API_BASE_URL:/)]);
    });
  });

  it('lists schema and cross-field problems together, in one pass', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', AMOJO_CHANNEL_ID: 'c', CREDENTIALS_VERIFIER: 'http' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'LOG_LEVEL', 'AMOJO_CHANNEL_SECRET', 'PROVIDER_API_TOKEN', 'PROVIDER_AUTH_URL']),
    );
  });

  it('retention: 7 days of done outbox entries and 30 of receipts by default; 0 keeps them forever', () => {
    expect(loadConfig({})).toMatchObject({ RETENTION_DONE_OUTBOX_DAYS: 7, RETENTION_RECEIPTS_DAYS: 30 });
    expect(loadConfig({ RETENTION_DONE_OUTBOX_DAYS: '0', RETENTION_RECEIPTS_DAYS: '0' })).toMatchObject({
      RETENTION_DONE_OUTBOX_DAYS: 0,
      RETENTION_RECEIPTS_DAYS: 0,
    });
  });

  it('receipts must be kept longer than the reconciler looks back, or old messages would be resent', () => {
    const problems = problemsOf({ RETENTION_RECEIPTS_DAYS: '1' });
    expect(problems).toEqual([expect.stringMatching(/^RETENTION_RECEIPTS_DAYS: must be longer than RECONCILE_LOOKBACK_MS \(86400000 ms = 1 days\).*resend/)]);
    expect(problemsOf({ RETENTION_RECEIPTS_DAYS: '30', RECONCILE_LOOKBACK_MS: String(30 * 86_400_000) })).toEqual([
      expect.stringMatching(/^RETENTION_RECEIPTS_DAYS:/),
    ]);
    expect(loadConfig({ RETENTION_RECEIPTS_DAYS: '2' }).RETENTION_RECEIPTS_DAYS).toBe(2);
    expect(problemsOf({ RETENTION_DONE_OUTBOX_DAYS: '-1' })).toEqual([expect.stringMatching(/^RETENTION_DONE_OUTBOX_DAYS:/)]);
  });

  it('ALLOWED_ORIGINS is a comma-separated list; blank values count as unset', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: ' http://localhost:8080 ,, https://x.example ', AMOJO_CHANNEL_ID: '  ' });
    expect(config.allowedOrigins).toEqual(['http://localhost:8080', 'https://x.example']);
    expect(config.sandbox).toBe(true);
  });
});
