import { formatAmojoDate, md5Hex, signRequest, signWebhookBody, verifySignedRequest, verifyWebhookSignature } from '@amochan/amojo';

/**
 * PHP's json_encode defaults, which produced the docs' bytes: `/` escaped as `\/`, every non-ASCII
 * UTF-16 unit as lowercase `\uXXXX`. Only needed to reproduce the doc; the client uses JSON.stringify.
 */
function phpJsonEncode(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') {
    let out = '"';
    for (const ch of value) {
      for (let i = 0; i < ch.length; i++) {
        const unit = ch.charCodeAt(i);
        if (ch === '"') out += '\\"';
        else if (ch === '\\') out += '\\\\';
        else if (ch === '/') out += '\\/';
        else if (ch === '\n') out += '\\n';
        else if (unit < 0x20 || unit > 0x7e) out += '\\u' + unit.toString(16).padStart(4, '0');
        else out += ch[i];
      }
    }
    return out + '"';
  }
  if (Array.isArray(value)) return '[' + value.map(phpJsonEncode).join(',') + ']';
  const entries = Object.entries(value as Record<string, unknown>);
  return '{' + entries.map(([k, v]) => `${phpJsonEncode(k)}:${phpJsonEncode(v)}`).join(',') + '}';
}

const DOC_SECRET = 'f2d7f8704eff95087ed45b23ba99c0b5aac8278e';

describe('signRequest reproduces the worked examples of the docs', () => {
  it('connect', () => {
    const body = JSON.stringify({ account_id: '52e591f7-c98f-4255-8495-827210138c81', title: 'ChatsIntegration', hook_api_version: 'v2' });
    const h = signRequest({
      method: 'POST',
      path: '/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/connect',
      body,
      secret: DOC_SECRET,
      date: 'Wed, 15 Dec 2021 23:12:55 +0000',
    });
    expect(h).toEqual({
      Date: 'Wed, 15 Dec 2021 23:12:55 +0000',
      'Content-Type': 'application/json',
      'Content-MD5': '2fbcb3c652b61e24e004daddfc73d0ce',
      'X-Signature': '81211856ce0c5095f3e1a90c0a38dc9d736cfd55',
    });
  });

  it('new_message, serialised PHP-style from an object (and with a Date object)', () => {
    const event = {
      event_type: 'new_message',
      payload: {
        timestamp: 1639660529,
        msec_timestamp: 1639660529379,
        msgid: 'my_int-5f2836a8ca481',
        conversation_id: 'my_int-d5a421f7f218',
        sender: {
          id: 'my_int-1376265f-86df-4c49-a0c3-a4816df41af8',
          avatar: 'https://images.pexels.com/photos/10050979/pexels-photo-10050979.jpeg?auto=compress&cs=tinysrgb&dpr=2&w=500',
          profile: { phone: '+79151112233', email: 'example.client@example.com' },
          profile_link: 'https://example.com/profile/example.client',
          name: 'Вася клиент',
        },
        message: { type: 'text', text: 'Сообщение от клиента' },
        silent: false,
      },
    };
    const body = phpJsonEncode(event);
    expect(body).toContain('"name":"\\u0412\\u0430\\u0441\\u044f \\u043a\\u043b\\u0438\\u0435\\u043d\\u0442"');
    expect(body).toContain('"profile_link":"https:\\/\\/example.com\\/profile\\/example.client"');
    const h = signRequest({
      method: 'POST',
      path: '/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81',
      body,
      secret: DOC_SECRET,
      date: new Date(Date.UTC(2021, 11, 16, 13, 15, 29)),
    });
    expect(h.Date).toBe('Thu, 16 Dec 2021 13:15:29 +0000');
    expect(h['Content-MD5']).toBe('223ef85def871bc7cb58aa6f02f0a26e');
    expect(h['X-Signature']).toBe('29b49e9eaf03f13a66ecaff315f2855b31b25eee');
  });

  it('history GET: empty body, query string not signed', () => {
    const path =
      '/v2/origin/custom/f90ba33d-c9d9-44da-b76c-c349b0ecbe41_af9945ff-1490-4cad-807d-945c15d88bec/chats/6cbab3d5-c4c1-46ff-b710-ad59ad10805f/history';
    const common = { method: 'GET', body: '', secret: '5a44c5dff55f3c15a4cce8d7c4cc27e207c7e189', date: 'Mon, 03 Aug 2020 16:23:14 +0000' };
    const withQuery = signRequest({ ...common, path: `${path}?limit=50&offset=0` });
    expect(withQuery['Content-MD5']).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(withQuery['X-Signature']).toBe('5693447e362dcb3bc77abeb27888ff4a0ca53a1c');
    expect(signRequest({ ...common, path })).toEqual(withQuery);
  });
});

describe('verifyWebhookSignature', () => {
  const secret = 'f2d7f8704eff95087ed45b23ba99c0b5aac8278e';
  const body = '{"account_id":"acc","time":1639572261,"message":{"text":"hi"}}';
  const good = signWebhookBody(body, secret);

  it('accepts the HMAC-SHA1 of the raw body, as string or Buffer', () => {
    expect(good).toMatch(/^[0-9a-f]{40}$/);
    expect(verifyWebhookSignature(body, good, secret)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), good, secret)).toBe(true);
  });

  it('rejects a tampered body or a wrong secret', () => {
    expect(verifyWebhookSignature(body.replace('hi', 'ho'), good, secret)).toBe(false);
    expect(verifyWebhookSignature(body, good, secret.replace('f', 'e'))).toBe(false);
  });

  it('accepts a body with surrounding whitespace when the signature covers the trimmed body', () => {
    expect(verifyWebhookSignature(`\n ${body}\r\n`, good, secret)).toBe(true);
  });

  it('rejects an empty secret even if the header matches HMAC with an empty key', () => {
    expect(verifyWebhookSignature(body, signWebhookBody(body, ''), '')).toBe(false);
  });

  it('rejects missing, empty and wrong-length headers', () => {
    expect(verifyWebhookSignature(body, undefined, secret)).toBe(false);
    expect(verifyWebhookSignature(body, null, secret)).toBe(false);
    expect(verifyWebhookSignature(body, '', secret)).toBe(false);
    expect(verifyWebhookSignature(body, good.slice(0, 39), secret)).toBe(false);
    expect(verifyWebhookSignature(body, `${good}00`, secret)).toBe(false);
  });

  it('accepts an uppercase hex header', () => {
    expect(verifyWebhookSignature(body, good.toUpperCase(), secret)).toBe(true);
  });
});

describe('verifySignedRequest', () => {
  const secret = 'topsecret';
  const body = '{"a":1}';
  const h = signRequest({ method: 'post', path: '/v2/origin/custom/x?y=1', body, secret, date: 'Wed, 15 Dec 2021 23:12:55 +0000' });
  const headers = { date: h.Date, contentType: h['Content-Type'], contentMd5: h['Content-MD5'], signature: h['X-Signature'] };

  it('accepts what signRequest produced (method case and query ignored)', () => {
    expect(verifySignedRequest({ method: 'POST', path: '/v2/origin/custom/x', body, secret, headers })).toEqual({ ok: true });
  });

  it('names what is wrong', () => {
    const v = (over: Partial<typeof headers>, b = body) =>
      verifySignedRequest({ method: 'POST', path: '/v2/origin/custom/x', body: b, secret, headers: { ...headers, ...over } });
    expect(v({ date: undefined })).toEqual({ ok: false, reason: 'missing_header' });
    expect(v({ contentType: 'application/json; charset=utf-8' })).toEqual({ ok: false, reason: 'content_type' });
    expect(v({}, '{"a":2}')).toEqual({ ok: false, reason: 'content_md5' });
    expect(v({ date: 'Thu, 16 Dec 2021 23:12:55 +0000' })).toEqual({ ok: false, reason: 'signature' });
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });
});

describe('the Date header format', () => {
  const DOCUMENTED = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;
  it('is exactly the documented RFC 2822 form with +0000, zero-padded, weekday included', () => {
    expect(formatAmojoDate(new Date('2021-12-15T23:12:55Z'))).toBe('Wed, 15 Dec 2021 23:12:55 +0000');
    expect(formatAmojoDate(new Date('2024-03-05T04:05:06.999Z'))).toBe('Tue, 05 Mar 2024 04:05:06 +0000');
    for (const iso of ['2020-08-03T16:23:14Z', '2000-01-01T00:00:00Z', '2099-12-31T23:59:59Z']) {
      expect(formatAmojoDate(new Date(iso))).toMatch(DOCUMENTED);
    }
  });
  it('signRequest puts that form in the Date header when given a Date or nothing', () => {
    expect(signRequest({ method: 'GET', path: '/x', body: '', secret: 's', date: new Date('2024-03-05T04:05:06Z') }).Date).toBe(
      'Tue, 05 Mar 2024 04:05:06 +0000',
    );
    expect(signRequest({ method: 'GET', path: '/x', body: '', secret: 's' }).Date).toMatch(DOCUMENTED);
  });
});
