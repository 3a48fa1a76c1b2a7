import { readAmojoId } from './account';
import type { Api, StatusReply, WidgetChannel, WidgetPipeline } from './api';
import { toWidgetError, WidgetError, type ErrorCode } from './errors';
import type { HostWindow, SaveEvent, WidgetSelf } from './host';
import { renderTemplate } from './templates';
import { errorText, pickTexts } from './texts';

// Every listener the widget adds carries this namespace, so destroy() can take all of them off.
export const EVENT_NS = '.amochan';

// The name of the `custom` settings field (manifest.json). It keeps the connected login — never
// the password — so amoCRM pages that never open the settings still know who is connected.
const CONNECTION_FIELD = 'connection';

type State = 'loading' | 'connected' | 'disconnected' | 'unknown';

interface ViewModel {
  state: State;
  login: string;
  busy: boolean;
  error: string;
  /** As the server last read them from amoCRM; null when the server does not report them. */
  channels: WidgetChannel[] | null;
  pipelines: WidgetPipeline[] | null;
  reauth: boolean;
  /** A pipeline change on its way: which channel (index in `channels`) and the pipeline picked. */
  moving: { index: number; pipelineId: number } | null;
}

const INITIAL: ViewModel = { state: 'loading', login: '', busy: false, error: '', channels: null, pipelines: null, reauth: false, moving: null };

/** The parts of a status answer that newer servers add; absent fields clear what was shown. */
function extrasOf(reply: StatusReply | undefined): Pick<ViewModel, 'channels' | 'pipelines' | 'reauth'> {
  return {
    channels: Array.isArray(reply?.channels) ? reply.channels : null,
    pipelines: Array.isArray(reply?.pipelines) && reply.pipelines.length ? reply.pipelines : null,
    reauth: reply?.installation === 'reauthorization_required',
  };
}

/** What the template gets for the channel list: the truth, except for the row being saved. */
function channelRows(vm: ViewModel) {
  if (!vm.channels?.length) return null;
  return vm.channels.map((channel, index) => {
    const saving = vm.moving?.index === index;
    const selected = saving ? vm.moving!.pipelineId : channel.pipeline_id;
    return {
      index,
      name: channel.name,
      state: channel.state,
      selected,
      listed: vm.pipelines?.some((p) => p.id === selected) ?? false,
      // Only a source amoCRM has created has a pipeline to move; the others show their state.
      movable: channel.state === 'created',
      saving,
    };
  });
}

export interface SettingsDeps {
  self: WidgetSelf;
  api: Api;
  win: HostWindow;
  $: JQueryStatic;
}

export function createSettingsController({ self, api, win, $ }: SettingsDeps) {
  let $body: JQuery | null = null;
  let $root: JQuery | null = null;
  let vm: ViewModel = INITIAL;
  // Bumped by every user action, so a slow status reply cannot overwrite a newer outcome.
  let generation = 0;

  const texts = () => pickTexts(self, win);
  const message = (code: ErrorCode) => errorText(texts(), code);

  function update(patch: Partial<ViewModel>): void {
    vm = { ...vm, ...patch };
    if (!$root) return;
    $root.html(renderTemplate(self, 'settings', { t: texts().ui, ...vm, moving: vm.moving !== null, channels: channelRows(vm) }));
  }

  function open($modalBody: JQuery): void {
    detach();
    $body = $modalBody;
    const $host = $modalBody.find('.widget_settings_block__fields').first();
    $root = $('<div class="amochan-settings-root"></div>').appendTo($host.length ? $host : $modalBody);
    $root
      .on('click' + EVENT_NS, '.amochan-settings__connect', () => void connect().catch(() => undefined))
      .on('click' + EVENT_NS, '.amochan-settings__disconnect', () => void disconnect().catch(() => undefined))
      .on('change' + EVENT_NS, '.amochan-settings__pipeline', onPipelineChange)
      .on('keydown' + EVENT_NS, 'input', onKeydown);
    update({ ...INITIAL });
    void refresh();
  }

  function onKeydown(event: JQuery.TriggeredEvent): void {
    if (event.key !== 'Enter' && event.which !== 13) return;
    // Enter inside amoCRM's settings modal may submit its own form (Save); act on ours instead.
    event.preventDefault();
    if (vm.state === 'connected') void disconnect().catch(() => undefined);
    else void connect().catch(() => undefined);
  }

  async function refresh(): Promise<void> {
    const started = generation;
    const amojoId = readAmojoId(win);
    if (!amojoId) return update({ state: 'unknown', error: message('no_account') });
    try {
      const reply = await api.status(amojoId);
      if (started !== generation) return;
      if (reply?.status === 'connected') {
        update({ state: 'connected', login: reply.login ?? vm.login, error: '', ...extrasOf(reply) });
        rememberConnection(vm.login);
      } else {
        update({ state: 'disconnected', error: '', ...extrasOf(reply), channels: null, pipelines: null });
        rememberConnection('');
      }
    } catch (error) {
      if (started !== generation) return;
      update({ state: 'unknown', error: message(toWidgetError(error).code) });
    }
  }

  /**
   * A channel's pipeline picked in the list. The list is re-rendered from the server's answer — the
   * pipelines amoCRM reports after the move — and on failure from the last truth, so the picker
   * never shows a pipeline amoCRM does not have for that source.
   */
  async function onPipelineChange(event: JQuery.TriggeredEvent): Promise<void> {
    const $select = $(event.currentTarget as HTMLElement);
    const index = Number($select.attr('data-index'));
    const channel = vm.channels?.[index];
    const pipelineId = Number($select.val());
    if (vm.busy || vm.moving || !channel || !pipelineId || pipelineId === channel.pipeline_id) return update({});
    const amojoId = readAmojoId(win);
    if (!amojoId) return update({ error: message('no_account') });
    // No generation guard on the answer: it is fresh truth about the channels whatever happened
    // meanwhile, and `moving` must be cleared even if, say, a Disconnect without password failed.
    generation++;
    const moving = { index, pipelineId };
    update({ moving, error: '' });
    const stillOurs = () => vm.moving === moving && vm.state === 'connected';
    try {
      const reply = await api.addSource({ amojo_id: amojoId, pipeline_id: pipelineId, channel: channel.id });
      if (!stillOurs()) return;
      if (Array.isArray(reply?.channels)) return update({ moving: null, channels: reply.channels });
      // A server that answers without the channels: read the truth back instead of assuming.
      update({ moving: null });
      await refresh();
    } catch (error) {
      if (stillOurs()) update({ moving: null, error: message(toWidgetError(error).code) });
    }
  }

  /** Reads the form, sends the credentials once, and forgets the password whatever happens. */
  async function connect(): Promise<void> {
    if (vm.busy) return;
    generation++;
    const login = String(field('.amochan-settings__login-input').val() ?? '').trim();
    const password = takePassword();
    try {
      if (!login || !password) throw new WidgetError('invalid_request');
      const amojoId = readAmojoId(win);
      if (!amojoId) throw new WidgetError('no_account');
      update({ busy: true, error: '', login });
      await api.connect({ login, password, amojo_id: amojoId });
      // The channels and pipelines come with the status; the connect answer stays authoritative
      // for the connection itself, so a status that fails or lags behind changes nothing else.
      const status = await api.status(amojoId).catch(() => undefined);
      const extras = status?.status === 'connected' ? extrasOf(status) : {};
      update({ state: 'connected', busy: false, login, error: '', ...extras });
      rememberConnection(login);
    } catch (error) {
      const failure = toWidgetError(error);
      update({ busy: false, login, error: message(failure.code) });
      throw failure;
    }
  }

  /**
   * The Disconnect button needs the provider password (the server checks it). `byToken` (disabling
   * the widget) goes without one when none was typed: the host's X-Auth-Token then vouches for the
   * amoCRM account, which the server accepts for the account the binding belongs to.
   */
  async function disconnect(options: { byToken?: boolean } = {}): Promise<void> {
    if (vm.busy) return;
    generation++;
    const password = takePassword();
    const login = vm.state === 'connected' ? vm.login : savedLogin();
    try {
      if (!password && !options.byToken) throw new WidgetError('password_required');
      const amojoId = readAmojoId(win);
      if (!amojoId) throw new WidgetError('no_account');
      update({ busy: true, error: '' });
      await api.disconnect(password ? { amojo_id: amojoId, login, password } : { amojo_id: amojoId });
      update({ state: 'disconnected', busy: false, error: '', channels: null, pipelines: null, moving: null });
      rememberConnection('');
    } catch (error) {
      const failure = toWidgetError(error);
      // Refused without a password (no widget tokens on the server, or a binding older than them):
      // tell the user what would work.
      const shown = !password && failure.code === 'invalid_request' ? 'password_required' : failure.code;
      update({ busy: false, error: message(shown) });
      throw failure;
    }
  }

  /** amoCRM's Save / Install (active 'Y') and disable (active 'N'). */
  async function save(event: SaveEvent): Promise<boolean> {
    if (event?.active === 'N') {
      // amoCRM drops the channel in amojo when the widget is disabled, so release the binding too:
      // with the typed password, or else on the strength of the X-Auth-Token. Never block
      // disabling — a failure is shown in the modal.
      const connected = vm.state === 'connected' || savedLogin() !== '';
      if (connected) await disconnect({ byToken: true }).catch(() => undefined);
      return true;
    }
    const typed = Boolean(field('.amochan-settings__login-input').val() || field('.amochan-settings__password').val());
    if (vm.state !== 'connected' && typed) await connect();
    return true;
  }

  function destroy(): void {
    detach();
    vm = INITIAL;
  }

  function detach(): void {
    if ($root) $root.off(EVENT_NS).remove();
    $root = null;
    $body = null;
  }

  function field(selector: string): JQuery {
    return $root ? $root.find(selector) : $();
  }

  function takePassword(): string {
    const $password = field('.amochan-settings__password');
    const value = String($password.val() ?? '');
    $password.val('');
    return value;
  }

  function savedLogin(): string {
    const value = self.get_settings?.()?.[CONNECTION_FIELD];
    return typeof value === 'string' ? value : '';
  }

  function rememberConnection(login: string): void {
    if (savedLogin() !== login) self.set_settings?.({ [CONNECTION_FIELD]: login });
    // amoCRM's own Save serialises the settings form, so keep its hidden field in step.
    $body?.find(`input[name="${CONNECTION_FIELD}"]`).val(login);
  }

  return { open, save, destroy, connect, disconnect, refresh };
}

export type SettingsController = ReturnType<typeof createSettingsController>;
