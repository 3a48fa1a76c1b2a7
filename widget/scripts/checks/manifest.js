// manifest.json as amoCRM reads it, and the i18n files its text paths point into.
const KNOWN_LOCATIONS = new Set([
  'lcard',
  'ccard',
  'comcard',
  'llist',
  'clist',
  'tlist',
  'settings',
  'advanced_settings',
  'card_sdk',
  'catalogs',
  'digital_pipeline',
  'lead_sources',
  'widget_page',
  'mobile_card',
  'everywhere',
  'whatsapp_modal',
  'sms',
  'salesbot_designer',
  'lcard-0',
  'lcard-1',
  'ccard-0',
  'ccard-1',
  'comcard-0',
  'comcard-1',
  'llist-0',
  'llist-1',
  'clist-0',
  'clist-1',
  'tlist-0',
  'tlist-1',
]);
const FIELD_TYPES = new Set(['text', 'pass', 'users', 'users_lp', 'custom']);
// Settings values reach every user's browser and the REST API; a secret must never be one.
const SECRET_FIELD = /pass|secret|token|key/i;

function isObject(value) {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

function resolvePath(catalog, dotted) {
  return dotted.split('.').reduce((node, key) => (isObject(node) ? node[key] : undefined), catalog);
}

function flattenKeys(node, prefix = '') {
  if (!isObject(node)) return [prefix];
  return Object.entries(node).flatMap(([key, value]) => flattenKeys(value, prefix ? `${prefix}.${key}` : key));
}

function checkWidgetBlock(widget, problems) {
  if (!isObject(widget)) return problems.push('manifest.json: "widget" object is missing');
  for (const key of ['name', 'description', 'short_description', 'version']) {
    if (typeof widget[key] !== 'string' || widget[key] === '') problems.push(`manifest.json: widget.${key} must be a non-empty string`);
  }
  if (typeof widget.version === 'string' && !/^\d+\.\d+\.\d+/.test(widget.version)) {
    problems.push(`manifest.json: widget.version "${widget.version}" is not a x.y.z version`);
  }
  if (widget.interface_version !== 2) problems.push('manifest.json: widget.interface_version must be 2');
  if (widget.init_once !== false) problems.push('manifest.json: widget.init_once must be false');
  if (widget.installation !== true) problems.push('manifest.json: widget.installation must be true');
  if (!Array.isArray(widget.locale) || widget.locale.length === 0) problems.push('manifest.json: widget.locale must list the locales');
  const support = widget.support;
  if (!isObject(support)) problems.push('manifest.json: widget.support {link, email} is missing');
  else {
    if (typeof support.link !== 'string' || !/^https?:\/\//.test(support.link)) problems.push('manifest.json: widget.support.link must be an http(s) URL');
    if (typeof support.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(support.email))
      problems.push('manifest.json: widget.support.email must be an e-mail address');
  }
  for (const key of ['code', 'secret_key']) {
    if (key in widget) problems.push(`manifest.json: remove widget.${key}; a new amoMarket integration must not carry it`);
  }
}

function checkSettings(settings, problems) {
  if (settings === undefined) return [];
  if (!isObject(settings)) {
    problems.push('manifest.json: "settings" must be an object keyed by field code');
    return [];
  }
  const paths = [];
  for (const [code, field] of Object.entries(settings)) {
    if (!isObject(field)) {
      problems.push(`manifest.json: settings.${code} must be an object`);
      continue;
    }
    if (typeof field.name === 'string') paths.push([`settings.${code}.name`, field.name]);
    else problems.push(`manifest.json: settings.${code}.name must be an i18n path`);
    if (!FIELD_TYPES.has(field.type)) problems.push(`manifest.json: settings.${code}.type "${field.type}" is not one of ${[...FIELD_TYPES].join(', ')}`);
    if (typeof field.required !== 'boolean') problems.push(`manifest.json: settings.${code}.required must be true or false`);
    if (field.type === 'pass' || SECRET_FIELD.test(code)) {
      problems.push(`manifest.json: settings.${code} looks like a secret; settings are visible to every user, keep secrets on the server`);
    }
  }
  return paths;
}

function checkTour(tour, locales, files, problems) {
  if (!isObject(tour)) return problems.push('manifest.json: "tour" {is_tour, tour_images, tour_description} is missing');
  if (typeof tour.is_tour !== 'boolean') problems.push('manifest.json: tour.is_tour must be true or false');
  if (!isObject(tour.tour_images)) problems.push('manifest.json: tour.tour_images must map each locale to a list of images');
  else {
    for (const locale of locales) {
      const images = tour.tour_images[locale];
      if (!Array.isArray(images)) problems.push(`manifest.json: tour.tour_images.${locale} must be a list`);
      else if (tour.is_tour && images.length === 0) problems.push(`manifest.json: tour.is_tour is true but tour.tour_images.${locale} is empty`);
      else for (const image of images) if (!files[String(image).replace(/^\//, '')]) problems.push(`manifest.json: tour image ${image} is not in the zip`);
    }
  }
}

/** Returns problems; `json` maps zip names to parsed JSON (from checkText). */
function checkManifest(json, files) {
  const problems = [];
  const manifest = json['manifest.json'];
  if (!isObject(manifest)) return ['manifest.json: missing or not a JSON object'];
  const widget = manifest.widget;
  checkWidgetBlock(widget, problems);
  const locations = manifest.locations;
  if (!Array.isArray(locations)) problems.push('manifest.json: "locations" must be a list');
  else {
    for (const needed of ['settings', 'lead_sources']) if (!locations.includes(needed)) problems.push(`manifest.json: locations must include "${needed}"`);
    for (const location of locations) if (!KNOWN_LOCATIONS.has(location)) problems.push(`manifest.json: unknown location "${location}"`);
  }
  const locales = isObject(widget) && Array.isArray(widget.locale) ? widget.locale : [];
  const paths = [
    ...['name', 'description', 'short_description'].map((key) => [`widget.${key}`, isObject(widget) ? widget[key] : undefined]),
    ...checkSettings(manifest.settings, problems),
  ];
  checkTour(manifest.tour, locales, files, problems);
  if (isObject(manifest.tour) && typeof manifest.tour.tour_description === 'string') paths.push(['tour.tour_description', manifest.tour.tour_description]);
  const catalogs = {};
  for (const locale of locales) {
    const catalog = json[`i18n/${locale}.json`];
    if (!isObject(catalog)) problems.push(`i18n/${locale}.json is missing (listed in widget.locale)`);
    else catalogs[locale] = catalog;
  }
  for (const [where, path] of paths) {
    if (typeof path !== 'string') continue;
    for (const [locale, catalog] of Object.entries(catalogs)) {
      if (typeof resolvePath(catalog, path) !== 'string') problems.push(`manifest.json: ${where} "${path}" does not resolve to a text in i18n/${locale}.json`);
    }
  }
  problems.push(...checkParity(catalogs));
  return problems;
}

/** Every locale must define exactly the same keys, or some users see raw paths. */
function checkParity(catalogs) {
  const keysByLocale = Object.entries(catalogs).map(([locale, catalog]) => [locale, new Set(flattenKeys(catalog))]);
  const all = new Set(keysByLocale.flatMap(([, keys]) => [...keys]));
  const problems = [];
  for (const key of all) {
    const missing = keysByLocale.filter(([, keys]) => !keys.has(key)).map(([locale]) => locale);
    if (missing.length === 0) continue;
    const present = keysByLocale.filter(([, keys]) => keys.has(key)).map(([locale]) => locale);
    for (const locale of missing) problems.push(`i18n/${locale}.json: missing "${key}" (present in ${present.join(', ')})`);
  }
  return problems;
}

module.exports = { checkManifest, checkParity, flattenKeys };
