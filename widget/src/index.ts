// script.js entry. amoCRM loads it with RequireJS and calls `new Widget()`, then mixes its own
// methods (render, langs, $authorizedAjax, get_settings…) into the instance. That is why the
// default export is a plain constructor function, not a class, and why `self` is read lazily.
import $ from 'jquery';
import { createApi } from './api';
import type { AjaxOptions, HostWindow, WidgetCallbacks, WidgetSelf } from './host';
import { addAsSource } from './lead-source';
import { createSettingsController } from './settings-controller';

const SERVER_URL = typeof __AMOCHAN_SERVER_URL__ === 'string' ? __AMOCHAN_SERVER_URL__ : 'http://localhost:3000';

function AmochanWidget(this: WidgetSelf): WidgetSelf {
  // biome-ignore lint/complexity/noUselessThisAlias: amoCRM's widget object, handed on by name to the controllers
  const self = this;
  // globalThis is window in a browser; in the validator's Node host it still holds the fakes.
  const win = globalThis as HostWindow;
  // Prefer the host's $authorizedAjax: it adds the X-Auth-Token the server verifies. Plain
  // $.ajax is the fallback for hosts without it (the server then refuses unless auth is off).
  const send = (options: AjaxOptions) => (typeof self.$authorizedAjax === 'function' ? self.$authorizedAjax(options) : $.ajax(options));
  const api = createApi(SERVER_URL, send);
  const settings = createSettingsController({ self, api, win, $ });

  const callbacks: WidgetCallbacks = {
    render: () => true,
    init: () => true,
    bind_actions: () => true,
    settings: ($modalBody) => {
      settings.open($modalBody);
      return true;
    },
    onSave: (event) => settings.save(event),
    onAddAsSource: (pipelineId) => addAsSource({ self, api, win }, pipelineId),
    destroy: () => settings.destroy(),
  };
  this.callbacks = callbacks;
  return this;
}

export default AmochanWidget;
