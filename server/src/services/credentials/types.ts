/**
 * Checks a provider login/password pair typed into the widget. Answers true/false for a clear
 * verdict; when it cannot tell (the provider's auth endpoint is down or answers nonsense) it throws
 * AppError('provider_auth_unavailable') so the widget shows "try again later", not "wrong password".
 */
export interface CredentialVerifier {
  readonly kind: 'local' | 'http';
  verify(login: string, password: string): Promise<boolean>;
}
