import { createHmac } from 'node:crypto';
import { disableSignature, verifyDisableSignature } from '../../src/amocrm/disable-signature';
import { EXTERNAL_ID_MAX_LENGTH, sourceExternalId } from '../../src/amocrm/external-id';
import { effectiveChannels, storedChannelId, wireChannelId } from '../../src/amocrm/channels';

describe('disable hook signature', () => {
  const secret = 'client-secret';
  const good = createHmac('sha256', secret).update('uuid-1|123').digest('hex');

  it('is hex HMAC-SHA256 of <client_uuid>|<account_id> with the client secret', () => {
    expect(disableSignature(secret, 'uuid-1', 123)).toBe(good);
    expect(verifyDisableSignature({ clientSecret: secret, clientUuid: 'uuid-1', accountId: '123', signature: good })).toBe(true);
    expect(verifyDisableSignature({ clientSecret: secret, clientUuid: 'uuid-1', accountId: '123', signature: good.toUpperCase() })).toBe(true);
  });

  it('refuses another account, another secret, an empty secret and malformed signatures', () => {
    const check = (over: Partial<Parameters<typeof verifyDisableSignature>[0]>) =>
      verifyDisableSignature({ clientSecret: secret, clientUuid: 'uuid-1', accountId: '123', signature: good, ...over });
    expect(check({ accountId: '124' })).toBe(false);
    expect(check({ clientSecret: 'other' })).toBe(false);
    expect(check({ clientSecret: '' })).toBe(false);
    expect(check({ signature: good.slice(0, 63) })).toBe(false);
    expect(check({ signature: `${good.slice(0, 63)}z` })).toBe(false);
    expect(check({ signature: '' })).toBe(false);
  });
});

describe('source external_id', () => {
  it('is deterministic, short, and distinct per account, login and channel', () => {
    const id = sourceExternalId(1, 'shop', 'wa');
    expect(sourceExternalId(1, 'shop', 'wa')).toBe(id);
    expect(id.length).toBeLessThanOrEqual(EXTERNAL_ID_MAX_LENGTH);
    expect(id).toMatch(/^amc_[0-9a-f]{32}$/);
    const others = [
      sourceExternalId(2, 'shop', 'wa'),
      sourceExternalId(1, 'shop2', 'wa'),
      sourceExternalId(1, 'shop', 'wa2'),
      sourceExternalId(1, 'shop', ''),
      sourceExternalId(1, 'sho', 'pwa'),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
  });
});

describe('channels of a login', () => {
  it('a login without declared channels has one implicit channel, null on the wire', () => {
    expect(effectiveChannels('shop', [])).toEqual([{ channelId: '', name: 'shop', position: 0, implicit: true }]);
    expect(wireChannelId('')).toBeNull();
    expect(storedChannelId(null)).toBe('');
    expect(storedChannelId('wa')).toBe('wa');
  });

  it('declared channels come in position order', () => {
    const c = (channelId: string, position: number) => ({ login: 'shop', channelId, name: channelId, position, createdAt: 0, updatedAt: 0 });
    expect(effectiveChannels('shop', [c('b', 1), c('a', 0)]).map((x) => x.channelId)).toEqual(['a', 'b']);
  });
});
