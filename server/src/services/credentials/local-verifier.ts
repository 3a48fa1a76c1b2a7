import type { ProviderAccountRepo } from '../../storage/types';
import { hashPassword, verifyPassword } from './password-hash';
import type { CredentialVerifier } from './types';

/**
 * Accounts kept by this server (added with `cli accounts add`). An unknown login still pays for one
 * scrypt run against a throwaway hash, so response time does not reveal which logins exist.
 */
export function createLocalVerifier(deps: { accounts: ProviderAccountRepo }): CredentialVerifier {
  let decoy: Promise<string> | null = null;
  return {
    kind: 'local',
    async verify(login, password) {
      const account = await deps.accounts.get(login);
      if (!account) {
        decoy ??= hashPassword('decoy password that matches nothing');
        await verifyPassword(password, await decoy);
        return false;
      }
      return verifyPassword(password, account.passwordHash);
    },
  };
}
