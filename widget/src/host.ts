// The parts of the amoCRM host the widget relies on. Everything amoCRM mixes into the instance is
// optional: the constructor runs before the mix-in, and older hosts lack some methods.

/** Anything with a jQuery-style `then(done, fail)`: a jqXHR, a jQuery Deferred or a Promise. */
export interface Thenable {
  then(onDone: (...args: any[]) => unknown, onFail: (...args: any[]) => unknown): unknown;
}

export interface AjaxOptions {
  url: string;
  type: 'GET' | 'POST';
  dataType: 'json';
  contentType?: string;
  data?: string;
  timeout: number;
}

export interface RenderSource {
  data?: string;
  href?: string;
  base_path?: string;
  v?: string;
  load?: (template: unknown) => void;
}

export interface SaveEvent {
  active: 'Y' | 'N';
  fields?: Record<string, unknown>;
}

export interface WidgetCallbacks {
  render(): boolean;
  init(): boolean;
  bind_actions(): boolean;
  settings($modalBody: JQuery): boolean;
  onSave(event: SaveEvent): Promise<boolean>;
  onAddAsSource(pipelineId: string | number): Promise<boolean>;
  destroy(): void;
}

export interface WidgetSelf {
  callbacks: WidgetCallbacks;
  params?: { path?: string; cdn_path?: string; version?: string; widget_code?: string };
  langs?: unknown;
  render?(source: RenderSource, params: object): string;
  get_settings?(): Record<string, unknown> | undefined;
  set_settings?(settings: Record<string, unknown>): void;
  $authorizedAjax?(options: AjaxOptions): Thenable;
}

export interface AmoApp {
  constant?(name: string): any;
  lang_id?: string;
  notifications?: { show_message?(message: { header: string; text: string }): void };
}

/** `APP` is current amoCRM, `AMOCRM` its deprecated alias still present on older pages. */
export interface HostWindow {
  APP?: AmoApp;
  AMOCRM?: AmoApp;
}

export function hostApps(win: HostWindow): AmoApp[] {
  return [win.APP, win.AMOCRM].filter((app): app is AmoApp => Boolean(app));
}
