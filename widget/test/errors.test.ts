import { classifyFailure, ERROR_CODES, toWidgetError, WidgetError } from '../src/errors';

const body = (code: string) => ({ error: { code, message: 'text' } });

describe('classifyFailure', () => {
  it.each([
    [401, body('invalid_credentials'), 'invalid_credentials'],
    [401, undefined, 'invalid_credentials'],
    [429, body('rate_limited'), 'rate_limited'],
    [429, undefined, 'rate_limited'],
    [403, body('invalid_token'), 'invalid_token'],
    [403, undefined, 'invalid_token'],
    [400, body('invalid_request'), 'invalid_request'],
    [502, body('amojo_error'), 'amojo_error'],
    // A 502 without our code comes from a proxy in front of a dead server.
    [502, undefined, 'unreachable'],
    [502, '<html>Bad Gateway</html>', 'unreachable'],
    [0, undefined, 'unreachable'],
    [500, body('internal'), 'unreachable'],
    [503, undefined, 'unreachable'],
    [504, undefined, 'unreachable'],
    [404, body('not_found'), 'unexpected'],
    [409, undefined, 'unexpected'],
    [403, body('amojo_id_mismatch'), 'amojo_id_mismatch'],
    [409, body('install_required'), 'install_required'],
  ] as Array<[number, unknown, string]>)('HTTP %s %j → %s', (status, payload, expected) => {
    expect(classifyFailure(status, payload)).toBe(expected);
  });

  it('reads the code from a JSON response text too', () => {
    expect(classifyFailure(502, JSON.stringify(body('amojo_error')))).toBe('amojo_error');
  });

  it('never trusts an unknown server code over the status', () => {
    expect(classifyFailure(429, body('something_new'))).toBe('rate_limited');
  });
});

describe('WidgetError', () => {
  it('keeps code, status and cause', () => {
    const cause = new Error('socket');
    const error = new WidgetError('unreachable', 0, { cause });
    expect(error).toMatchObject({ code: 'unreachable', status: 0, cause, name: 'WidgetError' });
  });

  it('wraps anything else as unexpected', () => {
    expect(toWidgetError(new TypeError('x')).code).toBe('unexpected');
    const known = new WidgetError('rate_limited', 429);
    expect(toWidgetError(known)).toBe(known);
  });

  it('has a closed list of codes', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
