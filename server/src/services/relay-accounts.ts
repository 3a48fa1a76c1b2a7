import { AppError } from '../lib/errors';
import type { Connection, Store } from '../storage/types';

/**
 * The provider names an account by its login; messages can only flow while that login is bound to
 * a connected amoCRM account. The two refusals are told apart because the fixes differ: an unknown
 * login is a typo or a missing account, a known one needs the amoCRM user to connect the widget.
 */
export async function requireConnectedAccount(store: Pick<Store, 'connections' | 'accounts'>, login: string): Promise<Connection> {
  const connection = await store.connections.getConnectedByLogin(login);
  return connection ?? refuseUnconnected(store, login);
}

/** The refusal for a login with no connected binding (found so by the caller): which of the two it is. */
export async function refuseUnconnected(store: Pick<Store, 'connections' | 'accounts'>, login: string): Promise<never> {
  const known = (await store.accounts.get(login)) !== null || (await store.connections.list()).some((c) => c.login === login);
  if (known) {
    throw new AppError('account_not_connected', `account "${login}" is not connected to amoCRM: an amoCRM user must connect it in the amochan widget first`);
  }
  throw new AppError('account_not_found', `unknown account "${login}": use the provider login that was connected in the amochan widget`);
}

/** Digits only: amoCRM normalises phones this way, and so do we to match write-first chats. */
export function phoneDigits(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D+/g, '');
  return digits === '' ? null : digits;
}
