import { AppError } from '../lib/errors';
import type { Connection, Installation, InstallationRepo } from '../storage/types';

/**
 * Who may act on which binding (amojo account ⇄ provider login).
 *
 * With OAuth install, amoCRM itself told us which amojo_id belongs to the widget token's amoCRM
 * account (the installation). That account owns that amojo_id — whatever an earlier binding
 * recorded, so a binding squatted before OAuth moves to it — and nothing else: a request for
 * another amojo_id is refused (amojo_id_mismatch) before any binding is read.
 *
 * Without an installation the older rule stands: the amoCRM account of a binding's first
 * token-bearing connect owns it, and a binding made before tokens were required (no owner) rests on
 * the provider password. A binding owned by another account reads exactly like an unbound one,
 * so no answer tells a stranger whether a foreign amojo_id is bound, or to which login.
 */
export type Caller =
  /** Widget tokens are not configured: nobody is identified. */
  | { kind: 'anonymous' }
  /** A verified widget token, but amoCRM has not vouched for any amojo_id (no install). */
  | { kind: 'token'; amocrmAccountId: number }
  /** OAuth: the token's account installed the integration; amoCRM reported its amojo_id. */
  | { kind: 'verified'; amocrmAccountId: number; installation: Installation };

/** yes: the caller owns it; legacy: nobody does (made without tokens); no: another account does. */
export type Ownership = 'yes' | 'legacy' | 'no';

export interface BindingOwnership {
  /** OAuth install is configured: bindings must be ones amoCRM vouches for. */
  readonly oauth: boolean;
  identify(amocrmAccountId: number | null): Promise<Caller>;
}

export function createBindingOwnership(deps: { oauth: boolean; installations: Pick<InstallationRepo, 'get'> }): BindingOwnership {
  return {
    oauth: deps.oauth,
    async identify(amocrmAccountId) {
      if (amocrmAccountId === null) return { kind: 'anonymous' };
      if (!deps.oauth) return { kind: 'token', amocrmAccountId };
      const installation = await deps.installations.get(amocrmAccountId);
      // reauthorization_required still knows the amojo_id amoCRM reported; only its tokens are dead.
      if (!installation || installation.status === 'uninstalled') return { kind: 'token', amocrmAccountId };
      return { kind: 'verified', amocrmAccountId, installation };
    },
  };
}

/** The installation's state as the widget shows it; null when amoCRM has vouched for nothing. */
export const installationState = (caller: Caller): 'active' | 'reauthorization_required' | null =>
  caller.kind === 'verified' ? (caller.installation.status === 'active' ? 'active' : 'reauthorization_required') : null;

/** OAuth connects need the install first: only then does the server know the account's amojo_id. */
export function requireVerified(caller: Caller): asserts caller is Extract<Caller, { kind: 'verified' }> {
  if (caller.kind === 'verified') return;
  if (caller.kind === 'anonymous') throw new AppError('invalid_token', "X-Auth-Token header is required (call the server with the widget's $authorizedAjax)");
  throw new AppError(
    'install_required',
    'the integration is not installed in this amoCRM account yet: an administrator must install (or re-install) it from amoCRM → Settings → Integrations, then connect again',
  );
}

/**
 * The amojo_id a request acts on. Verified callers: the one amoCRM reported (the request may omit it;
 * a different one is refused). Everyone else must name it.
 */
export function targetAmojoId(caller: Caller, requested: string | undefined): string {
  if (caller.kind === 'verified') {
    const own = caller.installation.amojoId.toLowerCase();
    if (requested !== undefined && requested.toLowerCase() !== own) {
      throw new AppError(
        'amojo_id_mismatch',
        'this amojo_id is not the one amoCRM reported for the account of the X-Auth-Token; open the widget from the amoCRM account you want to connect',
      );
    }
    return own;
  }
  if (requested === undefined)
    throw new AppError('invalid_request', 'amojo_id: is required (the server knows it only once the integration is installed with OAuth)');
  return requested.toLowerCase();
}

export function ownership(caller: Caller, connection: Pick<Connection, 'amojoAccountId' | 'amocrmAccountId'>): Ownership {
  if (caller.kind === 'verified') return connection.amojoAccountId.toLowerCase() === caller.installation.amojoId.toLowerCase() ? 'yes' : 'no';
  if (connection.amocrmAccountId === null) return 'legacy';
  if (caller.kind === 'anonymous') return 'legacy';
  return connection.amocrmAccountId === caller.amocrmAccountId ? 'yes' : 'no';
}

/**
 * Connecting without OAuth: a token from another amoCRM account must not move this binding. With
 * OAuth the caller's amojo_id was already checked against amoCRM's word, and that owner always wins.
 */
export function requireConnectOwner(connection: Connection | null, caller: Caller): void {
  if (connection && caller.kind !== 'verified' && ownership(caller, connection) === 'no') {
    throw new AppError('forbidden', 'this amojo account is bound to another amoCRM account; use the widget of that account');
  }
}

/** Disconnecting without a password: only the caller's token can vouch, and only for its own binding. */
export function requireTokenOwnership(connection: Connection, caller: Caller): void {
  if (ownership(caller, connection) === 'yes') return;
  const why =
    caller.kind === 'anonymous'
      ? 'widget tokens are not configured (AMOCRM_CLIENT_SECRET)'
      : 'this binding was made before widget tokens were required, so the token does not prove ownership';
  throw new AppError('invalid_request', `body.password: is required: ${why}; enter the provider password to disconnect`);
}

/**
 * May the caller read (status) or re-point (source) this binding? Its owner may; an unowned
 * (legacy) one only without OAuth, where nothing better than the widget's word exists.
 */
export const canSee = (caller: Caller, connection: Connection, oauth: boolean): boolean => {
  const o = ownership(caller, connection);
  return o === 'yes' || (o === 'legacy' && !oauth);
};

/** The answer for an amojo_id that is unbound or not the caller's: the same words, so neither is told apart. */
export const notConnected = (): AppError => new AppError('not_found', 'this amoCRM account is not connected; connect it in the widget settings first');
