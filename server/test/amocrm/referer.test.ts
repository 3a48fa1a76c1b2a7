import { amocrmBaseUrl, parseAmocrmReferer } from '../../src/amocrm/referer';

describe('amoCRM referer', () => {
  it.each([
    ['shop.amocrm.ru', 'shop', 'amocrm.ru'],
    ['Shop-1.AMOCRM.com', 'shop-1', 'amocrm.com'],
    ['acme.kommo.com', 'acme', 'kommo.com'],
    ['https://acme.kommo.com/', 'acme', 'kommo.com'],
  ])('accepts the account host %s', (referer, subdomain, zone) => {
    expect(parseAmocrmReferer(referer)).toMatchObject({ subdomain, zone });
  });

  it.each([
    'amocrm.ru',
    'evil.com',
    'shop.amocrm.ru.evil.com',
    'evilamocrm.ru',
    'a.b.amocrm.ru',
    'shop.amocrm.ru:8443',
    'shop.amocrm.ru/path',
    'user@shop.amocrm.ru',
    'http://shop.amocrm.ru',
    '127.0.0.1',
    '[::1]',
    '-shop.amocrm.ru',
    'shop-.kommo.com',
    'sh_op.amocrm.ru',
    `${'a'.repeat(64)}.amocrm.ru`,
    'shop.amocrm.ru\n.evil.com',
    '',
  ])('refuses %j with invalid_referer', (referer) => {
    expect(() => parseAmocrmReferer(referer)).toThrow(expect.objectContaining({ code: 'invalid_referer' }));
  });

  it('builds https://<domain> unless an override base URL is configured', () => {
    expect(amocrmBaseUrl('shop.amocrm.ru')).toBe('https://shop.amocrm.ru');
    expect(amocrmBaseUrl('shop.amocrm.ru', 'http://127.0.0.1:9999/')).toBe('http://127.0.0.1:9999');
    expect(() => amocrmBaseUrl('evil.com')).toThrow(expect.objectContaining({ code: 'invalid_referer' }));
  });
});
