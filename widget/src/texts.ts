import en from '../i18n/en.json';
import ru from '../i18n/ru.json';
import { readLangId } from './account';
import type { ErrorCode } from './errors';
import type { HostWindow, WidgetSelf } from './host';

export type Catalog = typeof en;
export type UiTexts = Catalog['ui'];

// The same files ship in the zip as i18n/*.json and amoCRM hands the user's one over as
// `self.langs`. A bundled copy keeps messages right when a host omits langs (older pages, tests).
const BUNDLED: Record<string, Catalog> = { en, ru };

/** The user's texts: amoCRM's `self.langs` first, the bundled catalog of APP.lang_id under it. */
export function pickTexts(self: WidgetSelf, win: HostWindow): Catalog {
  const bundled = BUNDLED[readLangId(win)] ?? BUNDLED.en;
  const langs = (self.langs ?? {}) as Partial<Catalog>;
  return {
    widget: { ...bundled.widget, ...langs.widget },
    settings: { ...bundled.settings, ...langs.settings },
    ui: { ...bundled.ui, ...langs.ui },
    errors: { ...bundled.errors, ...langs.errors },
  };
}

export function errorText(texts: Catalog, code: ErrorCode): string {
  const errors = texts.errors as Record<string, string | undefined>;
  return errors[code] ?? texts.errors.unexpected;
}
