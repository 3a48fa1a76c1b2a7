/** @jest-environment jsdom */
import $ from 'jquery';
import Widget from '../src/index';
import { createFakeHost, disconnected, openSettings, routes, settle, SERVER, type FakeHost } from './support/fake-host';

let host: FakeHost;
afterEach(() => host?.cleanup());

describe('the constructor amoCRM instantiates', () => {
  it('is a plain function (not a class) whose instance carries the callbacks', () => {
    expect(typeof Widget).toBe('function');
    expect(Function.prototype.toString.call(Widget)).not.toMatch(/^class\b/);
    host = createFakeHost();
    for (const name of ['render', 'init', 'bind_actions', 'settings', 'onSave', 'destroy', 'onAddAsSource']) {
      expect(typeof (host.callbacks as any)[name]).toBe('function');
    }
  });

  it('returns true from render, init and bind_actions (amoCRM stops otherwise)', () => {
    host = createFakeHost();
    expect(host.callbacks.render()).toBe(true);
    expect(host.callbacks.init()).toBe(true);
    expect(host.callbacks.bind_actions()).toBe(true);
  });
});

describe('onAddAsSource(pipeline_id)', () => {
  it('posts {amojo_id, pipeline_id} and tells the user', async () => {
    host = createFakeHost({ respond: routes({ 'POST /widget/v1/source': { status: 200, body: {} } }) });
    await expect(host.callbacks.onAddAsSource(4242)).resolves.toBe(true);
    expect(host.calls).toEqual([
      expect.objectContaining({
        type: 'POST',
        url: `${SERVER}/widget/v1/source`,
        contentType: 'application/json',
        body: { amojo_id: 'amojo-acc-1', pipeline_id: 4242 },
      }),
    ]);
    expect(host.notifications).toEqual([{ header: 'amochan', text: 'The chat channel now creates leads in this pipeline.' }]);
  });

  it('treats an empty 200 as success', async () => {
    host = createFakeHost({ respond: () => ({ status: 200 }) });
    await expect(host.callbacks.onAddAsSource('7')).resolves.toBe(true);
  });

  it('rejects with the reason when the server refuses', async () => {
    host = createFakeHost({ respond: () => ({ status: 403, body: { error: { code: 'invalid_token', message: 'x' } } }) });
    await expect(host.callbacks.onAddAsSource(1)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(host.notifications[0].text).toContain('amoCRM could not confirm');
  });
});

describe('transport', () => {
  it('prefers the host $authorizedAjax (it adds X-Auth-Token) over $.ajax', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    expect(host.calls.map((c) => c.via)).toEqual(['authorizedAjax']);
    expect(host.ajaxSpy).not.toHaveBeenCalled();
  });

  it('falls back to $.ajax when the host has no $authorizedAjax', async () => {
    host = createFakeHost({ authorizedAjax: false, respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    expect(host.ajaxSpy).toHaveBeenCalledTimes(1);
    expect(host.calls.map((c) => c.via)).toEqual(['ajax']);
  });
});

describe('destroy()', () => {
  it('removes every listener the widget added, and its markup', async () => {
    host = createFakeHost({ respond: routes({ 'GET /widget/v1/status': disconnected }) });
    await openSettings(host);
    const rootEl = host.$modal.find('.amochan-settings-root')[0];
    expect(($ as any)._data(rootEl, 'events')).toBeDefined();
    host.callbacks.destroy();
    expect(($ as any)._data(rootEl, 'events')).toBeUndefined();
    expect(host.$modal.find('.amochan-settings-root')).toHaveLength(0);
    $(rootEl).find('.amochan-settings__connect').trigger('click');
    await settle();
    expect(host.calls).toHaveLength(1);
  });

  it('does not stack listeners when the settings open twice', async () => {
    host = createFakeHost({
      respond: routes({ 'GET /widget/v1/status': disconnected, 'POST /widget/v1/connect': { status: 200, body: { status: 'connected' } } }),
    });
    await openSettings(host);
    await openSettings(host);
    expect(host.$modal.find('.amochan-settings-root')).toHaveLength(1);
    host.type('.amochan-settings__login-input', 'alice');
    host.type('.amochan-settings__password', 'pw');
    host.click('.amochan-settings__connect');
    await settle();
    expect(host.calls.filter((c) => c.path === '/widget/v1/connect')).toHaveLength(1);
  });
});
