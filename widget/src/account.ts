import { hostApps, type HostWindow } from './host';

/** The amojo (Chats API) id of the current amoCRM account: the key the server binds a provider login to. */
export function readAmojoId(win: HostWindow): string | undefined {
  for (const app of hostApps(win)) {
    try {
      const id = app.constant?.('account')?.amojo_id;
      if (typeof id === 'string' && id !== '') return id;
    } catch {
      // A half-initialised host may throw from constant(); try the next alias.
    }
  }
  return undefined;
}

/** The interface language of the current user ('ru', 'en', 'es', …), lower-case. */
export function readLangId(win: HostWindow): string {
  for (const app of hostApps(win)) {
    if (typeof app.lang_id === 'string' && app.lang_id !== '') return app.lang_id.toLowerCase();
  }
  return 'ru';
}
