import { connectAccount, rawCall, startHarness, textMessage, type Harness } from './helpers';

/* How wide a msgid must be unique is undocumented; the emulator lets a test choose. */

let h: Harness;
let scopeA: string;
let scopeB: string;

beforeAll(async () => {
  h = await startHarness();
  scopeA = await connectAccount(h, 'acc-a');
  scopeB = await connectAccount(h, 'acc-b');
});
afterAll(() => h.close());
afterEach(() => h.emu.control.setMsgidUniqueness('per_account'));

const send = (scopeId: string, msgid: string) => h.client.sendMessage(scopeId, { ...textMessage(`conv-${msgid}`), msgid });

test('per_account (the default): two accounts may use the same msgid, one account may not reuse it', async () => {
  expect(h.emu.control.msgidUniqueness()).toBe('per_account');
  await send(scopeA, 'shared-1');
  await expect(send(scopeB, 'shared-1')).resolves.toMatchObject({ new_message: { ref_id: 'shared-1' } });
  await expect(send(scopeA, 'shared-1')).rejects.toMatchObject({ code: 'duplicate_message' });
});

test('per_channel: a msgid used by another account of the channel is a duplicate', async () => {
  h.emu.control.setMsgidUniqueness('per_channel');
  await send(scopeA, 'shared-2');
  await expect(send(scopeB, 'shared-2')).rejects.toMatchObject({ code: 'duplicate_message', status: 400 });
  await expect(send(scopeB, 'acc-b:shared-2')).resolves.toMatchObject({ new_message: { ref_id: 'acc-b:shared-2' } });
});

test('the control API over HTTP switches it, refuses unknown modes, and reset keeps it', async () => {
  const url = `${h.emu.url}/_emulator/msgid-uniqueness`;
  const set = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'per_channel' }) });
  expect(await set.json()).toEqual({ mode: 'per_channel' });
  h.emu.control.reset();
  expect(await (await fetch(url)).json()).toEqual({ mode: 'per_channel' });
  const bad = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'global' }) });
  expect(bad.status).toBe(400);
  expect(() => h.emu.control.setMsgidUniqueness('global' as never)).toThrow(/per_account, per_channel/);
});

test('the constructor option sets it from the start', async () => {
  const other = await startHarness({ msgidUniqueness: 'per_channel' });
  try {
    expect(other.emu.control.msgidUniqueness()).toBe('per_channel');
    const a = await connectAccount(other, 'acc-1');
    const b = await connectAccount(other, 'acc-2');
    const payload = JSON.stringify({ event_type: 'new_message', payload: { ...textMessage('c'), msgid: 'same', timestamp: 1, msec_timestamp: 1000 } });
    expect((await rawCall(other.emu, other.clock, { method: 'POST', path: `/v2/origin/custom/${a}`, body: payload })).status).toBe(200);
    expect((await rawCall(other.emu, other.clock, { method: 'POST', path: `/v2/origin/custom/${b}`, body: payload })).status).toBe(400);
  } finally {
    await other.close();
  }
});
