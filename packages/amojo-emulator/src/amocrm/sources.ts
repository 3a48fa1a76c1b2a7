import { AmocrmProblem, badRequest, notFound, type ValidationError } from './problem';
import type { AmocrmState } from './state';
import type { AmocrmAccountRecord, SourceRecord } from './types';

/**
 * The Sources API's rules: only the integration's own sources, `external_id` unique per integration
 * and account, a limit of sources per integration (50 or 100 depending on which page of the docs:
 * an option here), `origin_code` at most 20 characters and not only digits. A refused element
 * refuses the whole request (nothing is written), with `validation-errors` naming it.
 */
export interface SourcesContext {
  state: AmocrmState;
  account: AmocrmAccountRecord;
  clientId: string;
  now: number;
  limit: number;
}

type Item = Record<string, unknown>;
type Issue = { code: string; path: string; detail: string };

function checkFields(ctx: SourcesContext, item: Item, creating: boolean): Issue[] {
  const issues: Issue[] = [];
  if (creating || 'name' in item) {
    if (typeof item.name !== 'string' || item.name.trim() === '') issues.push({ code: 'FieldMissing', path: 'name', detail: 'name is required' });
  }
  if (creating || 'external_id' in item) {
    if (typeof item.external_id !== 'string' || item.external_id === '') {
      issues.push({ code: 'FieldMissing', path: 'external_id', detail: 'external_id is required' });
    }
  }
  if (item.pipeline_id !== undefined && item.pipeline_id !== null) {
    if (typeof item.pipeline_id !== 'number' || !ctx.account.pipelines.some((p) => p.id === item.pipeline_id)) {
      issues.push({ code: 'NotSupportedChoice', path: 'pipeline_id', detail: 'pipeline not found' });
    }
  }
  if (item.default !== undefined && typeof item.default !== 'boolean') issues.push({ code: 'InvalidType', path: 'default', detail: 'must be a boolean' });
  if (item.origin_code !== undefined) {
    const oc = item.origin_code;
    if (typeof oc !== 'string' || oc.length === 0 || oc.length > 20 || /^\d+$/.test(oc) || /^"*$/.test(oc)) {
      issues.push({ code: 'InvalidValue', path: 'origin_code', detail: 'origin_code: up to 20 characters, not only digits' });
    }
  }
  if (item.services !== undefined && !Array.isArray(item.services)) issues.push({ code: 'InvalidType', path: 'services', detail: 'must be an array' });
  return issues;
}

function asArray(body: unknown): Item[] {
  if (!Array.isArray(body) || body.length === 0 || body.some((i) => typeof i !== 'object' || i === null || Array.isArray(i))) {
    throw badRequest('the body must be a non-empty array of objects');
  }
  return body as Item[];
}

function refuseIfAny(errors: ValidationError[]): void {
  if (errors.length > 0) throw badRequest('Request validation failed', errors);
}

const mainPipeline = (account: AmocrmAccountRecord): number => (account.pipelines.find((p) => p.is_main) ?? account.pipelines[0])!.id;

function clearOtherDefaults(ctx: SourcesContext, keep: Set<number>): void {
  for (const s of ctx.state.ownSources(ctx.clientId, ctx.account.id)) if (!keep.has(s.id)) s.default = false;
}

export function createSources(ctx: SourcesContext, body: unknown): SourceRecord[] {
  const items = asArray(body);
  const own = ctx.state.ownSources(ctx.clientId, ctx.account.id);
  if (own.length + items.length > ctx.limit) {
    throw new AmocrmProblem(400, 'Bad Request', `Sources limit exceeded: an integration can have at most ${ctx.limit} sources`, {
      validationErrors: items.map((_, i) => ({
        request_id: String(i),
        errors: [{ code: 'SourcesLimitExceeded', path: '', detail: `at most ${ctx.limit} sources` }],
      })),
    });
  }
  const taken = new Set(own.map((s) => s.external_id));
  const errors: ValidationError[] = [];
  items.forEach((item, i) => {
    const issues = checkFields(ctx, item, true);
    if (typeof item.external_id === 'string') {
      if (taken.has(item.external_id)) issues.push({ code: 'NotUnique', path: 'external_id', detail: 'a source with this external_id already exists' });
      taken.add(item.external_id);
    }
    if (issues.length > 0) errors.push({ request_id: String(i), errors: issues });
  });
  refuseIfAny(errors);
  const created = items.map(
    (item): SourceRecord => ({
      id: ctx.state.nextId('source'),
      accountId: ctx.account.id,
      clientId: ctx.clientId,
      name: String(item.name),
      external_id: String(item.external_id),
      pipeline_id: typeof item.pipeline_id === 'number' ? item.pipeline_id : mainPipeline(ctx.account),
      default: item.default === true,
      origin_code: typeof item.origin_code === 'string' ? item.origin_code : null,
      services: Array.isArray(item.services) ? item.services : [],
      createdAt: ctx.now,
      updatedAt: ctx.now,
    }),
  );
  for (const s of created) ctx.state.sources.set(s.id, s);
  const defaults = created.filter((s) => s.default);
  if (defaults.length > 0) clearOtherDefaults(ctx, new Set([defaults[defaults.length - 1]!.id]));
  return created;
}

function ownSource(ctx: SourcesContext, id: unknown): SourceRecord | undefined {
  const s = typeof id === 'number' ? ctx.state.sources.get(id) : undefined;
  return s && s.clientId === ctx.clientId && s.accountId === ctx.account.id ? s : undefined;
}

/** PATCH: each item names its `id`; unknown or foreign ids refuse the request. */
export function updateSources(ctx: SourcesContext, body: unknown): SourceRecord[] {
  const items = asArray(body);
  const errors: ValidationError[] = [];
  const targets: SourceRecord[] = [];
  const externalIds = new Map(ctx.state.ownSources(ctx.clientId, ctx.account.id).map((s) => [s.external_id, s.id]));
  items.forEach((item, i) => {
    const issues = checkFields(ctx, item, false);
    const target = ownSource(ctx, item.id);
    if (!target) issues.push({ code: 'NotFound', path: 'id', detail: 'source not found' });
    else {
      targets.push(target);
      if (typeof item.external_id === 'string') {
        const holder = externalIds.get(item.external_id);
        if (holder !== undefined && holder !== target.id)
          issues.push({ code: 'NotUnique', path: 'external_id', detail: 'a source with this external_id already exists' });
        externalIds.set(item.external_id, target.id);
      }
    }
    if (issues.length > 0) errors.push({ request_id: String(i), errors: issues });
  });
  refuseIfAny(errors);
  items.forEach((item, i) => {
    const s = targets[i]!;
    if (typeof item.name === 'string') s.name = item.name;
    if (typeof item.external_id === 'string') s.external_id = item.external_id;
    if (typeof item.pipeline_id === 'number') s.pipeline_id = item.pipeline_id;
    if (typeof item.default === 'boolean') s.default = item.default;
    if (typeof item.origin_code === 'string') s.origin_code = item.origin_code;
    if (Array.isArray(item.services)) s.services = item.services;
    s.updatedAt = ctx.now;
  });
  const defaults = targets.filter((s, i) => items[i]!.default === true);
  if (defaults.length > 0) clearOtherDefaults(ctx, new Set([defaults[defaults.length - 1]!.id]));
  return targets;
}

export function updateOneSource(ctx: SourcesContext, id: number, body: unknown): SourceRecord {
  if (!ownSource(ctx, id)) throw notFound(`source ${id} not found`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be an object');
  return updateSources(ctx, [{ ...(body as Item), id }])[0]!;
}

export function deleteSources(ctx: SourcesContext, body: unknown): void {
  const items = asArray(body);
  const errors: ValidationError[] = [];
  items.forEach((item, i) => {
    if (!ownSource(ctx, item.id)) errors.push({ request_id: String(i), errors: [{ code: 'NotFound', path: 'id', detail: 'source not found' }] });
  });
  refuseIfAny(errors);
  for (const item of items) ctx.state.sources.delete(item.id as number);
}

export function deleteOneSource(ctx: SourcesContext, id: number): void {
  if (!ownSource(ctx, id)) throw notFound(`source ${id} not found`);
  ctx.state.sources.delete(id);
}

export function serializeSource(s: SourceRecord, baseHref: string): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    pipeline_id: s.pipeline_id,
    external_id: s.external_id,
    default: s.default,
    ...(s.origin_code !== null ? { origin_code: s.origin_code } : {}),
    services: s.services,
    _links: { self: { href: `${baseHref}/api/v4/sources/${s.id}` } },
  };
}
