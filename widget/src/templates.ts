// Templates are inlined into script.js as source strings and rendered with self.render({data}).
// Why not self.render({href, base_path, v}): that costs one more request per modal open, depends on
// params.path vs cdn_path (which differ between amoCRM versions) and on cache-busting `?v=`, and is
// asynchronous. Inlining renders synchronously and can never load a stale template for a new
// script.js. The same files still ship in the zip under templates/ for review.
import Twig from 'twigjs';
import settingsSource from '../templates/settings.twig';
import type { WidgetSelf } from './host';

export const TEMPLATES = { settings: settingsSource } as const;

export type TemplateName = keyof typeof TEMPLATES;

/** Renders with the host's renderer (amoCRM's Twig.js setup), or with Twig.js directly without one. */
export function renderTemplate(self: WidgetSelf, name: TemplateName, params: object): string {
  const data = TEMPLATES[name];
  if (typeof self.render === 'function') return String(self.render({ data }, params));
  return Twig.twig({ data }).render(params);
}
