/**
 * Checks a provider login/password pair typed into the widget. Answers true/false for a clear
 * verdict; when it cannot tell (the provider's auth endpoint is down or answers nonsense) it throws
 * AppError('provider_auth_unavailable') so the widget shows "try again later", not "wrong password".
 */
export interface CredentialVerifier {
  readonly kind: 'local' | 'http';
  verify(login: string, password: string): Promise<boolean>;
  /**
   * The same verdict, plus what the verifier knows of the account: the http verifier passes on the
   * `channels` of a 2xx body, which then replace the login's declared channels.
   */
  check?(login: string, password: string): Promise<CredentialCheck>;
}

export interface CredentialCheck {
  valid: boolean;
  /** Present only when the provider's auth endpoint returned a valid channel list. */
  channels?: Array<{ id: string; name: string }>;
}
