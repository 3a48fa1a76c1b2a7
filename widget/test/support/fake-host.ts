// A jsdom stand-in for the amoCRM page: APP/AMOCRM globals, the widget base methods amoCRM mixes
// into the instance, and a scripted widget API behind $authorizedAjax (or $.ajax).
import $ from 'jquery';
import Twig from 'twig';
import en from '../../i18n/en.json';
import ru from '../../i18n/ru.json';
import Widget from '../../src/index';
import type { AjaxOptions, WidgetSelf } from '../../src/host';

export interface Reply {
  status: number;
  body?: unknown;
}

export interface RecordedCall {
  via: 'authorizedAjax' | 'ajax';
  type: string;
  url: string;
  path: string;
  contentType?: string;
  body?: any;
}

export type Responder = (call: RecordedCall) => Reply;

export interface FakeHostOptions {
  lang?: 'en' | 'ru';
  amojoId?: string | null;
  /** Put the account on the deprecated AMOCRM global only. */
  legacyGlobal?: boolean;
  authorizedAjax?: boolean;
  respond?: Responder;
}

export const SERVER = 'http://amochan.test';

export function createFakeHost(options: FakeHostOptions = {}) {
  const lang = options.lang ?? 'en';
  const calls: RecordedCall[] = [];
  const notifications: Array<{ header: string; text: string }> = [];
  const settingsWrites: Array<Record<string, unknown>> = [];
  let settings: Record<string, unknown> = {};
  let respond: Responder = options.respond ?? (() => ({ status: 200, body: { status: 'disconnected' } }));

  const account = options.amojoId === null ? {} : { id: 1001, subdomain: 'acme', amojo_id: options.amojoId ?? 'amojo-acc-1' };
  const app = {
    lang_id: lang,
    constant: (name: string) => (name === 'account' ? account : undefined),
    notifications: { show_message: (m: { header: string; text: string }) => notifications.push(m) },
  };
  const win = window as any;
  delete win.APP;
  delete win.AMOCRM;
  if (options.legacyGlobal) win.AMOCRM = app;
  else win.APP = app;

  // Answers like a jqXHR: a jQuery Deferred settled on a later tick, with jQuery's arguments.
  function transport(via: RecordedCall['via']) {
    return (ajax: AjaxOptions) => {
      const url = new URL(ajax.url);
      const call: RecordedCall = {
        via,
        type: ajax.type,
        url: ajax.url,
        path: url.pathname + url.search,
        contentType: ajax.contentType,
        body: ajax.data === undefined ? undefined : JSON.parse(ajax.data),
      };
      calls.push(call);
      const reply = respond(call);
      const deferred = $.Deferred();
      const xhr = { status: reply.status, responseJSON: reply.body, responseText: JSON.stringify(reply.body ?? '') };
      setTimeout(() => {
        if (reply.status >= 200 && reply.status < 300) deferred.resolve(reply.body, 'success', xhr);
        else deferred.reject(xhr, 'error', '');
      }, 0);
      return deferred.promise();
    };
  }

  const widget = new (Widget as any)() as WidgetSelf & Record<string, unknown>;
  Object.assign(widget, {
    params: { widget_code: 'amochan', path: '/widgets/amochan', version: '0.1.0' },
    langs: lang === 'ru' ? ru : en,
    i18n: (key: string) => (lang === 'ru' ? (ru as any) : (en as any))[key],
    render: (source: { data: string }, params: object) => Twig.twig({ data: source.data }).render(params as any),
    get_settings: () => settings,
    set_settings: (next: Record<string, unknown>) => {
      settingsWrites.push({ ...next });
      settings = { ...settings, ...next };
    },
  });
  if (options.authorizedAjax !== false) widget.$authorizedAjax = transport('authorizedAjax');
  const ajaxSpy = jest.spyOn($, 'ajax').mockImplementation(transport('ajax') as any);

  // amoCRM's settings modal: its own hidden field for the `custom` setting, and a spot for ours.
  const $modal = $(
    '<div class="modal-body"><div class="widget_settings_block"><div class="widget_settings_block__fields">' +
      '<input type="hidden" name="connection" value=""></div></div></div>',
  ).appendTo(document.body);

  return {
    widget,
    callbacks: widget.callbacks,
    calls,
    notifications,
    settingsWrites,
    ajaxSpy,
    $modal,
    setRespond(next: Responder) {
      respond = next;
    },
    root: () => $modal.find('.amochan-settings'),
    text: () => $modal.find('.amochan-settings').text().replace(/\s+/g, ' ').trim(),
    error: () => $modal.find('.amochan-settings__error').text().trim(),
    type(selector: string, value: string) {
      $modal.find(selector).val(value);
    },
    click(selector: string) {
      $modal.find(selector).trigger('click');
    },
    /** Picks an option the way a user does: the value changes, then `change` fires. */
    choose(selector: string, value: string) {
      $modal.find(selector).val(value).trigger('change');
    },
    cleanup() {
      ajaxSpy.mockRestore();
      $modal.remove();
      delete win.APP;
      delete win.AMOCRM;
    },
  };
}

export type FakeHost = ReturnType<typeof createFakeHost>;

/** Lets queued timers and promise callbacks run (the fake transport answers on a timer). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Routes replies by "METHOD /path" (query string ignored). */
export function routes(table: Record<string, Reply | ((call: RecordedCall) => Reply)>): Responder {
  return (call) => {
    const key = `${call.type} ${call.path.split('?')[0]}`;
    const entry = table[key];
    if (!entry) return { status: 404, body: { error: { code: 'not_found', message: key } } };
    return typeof entry === 'function' ? entry(call) : entry;
  };
}

export const disconnected: Reply = { status: 200, body: { status: 'disconnected' } };
export const connectedAs = (login: string): Reply => ({ status: 200, body: { status: 'connected', login } });

/** amoCRM opening the settings modal, then the status reply landing. */
export async function openSettings(host: FakeHost): Promise<void> {
  expect(host.callbacks.settings(host.$modal)).toBe(true);
  await settle();
}
