/**
 * What a provider login and password may look like, shared by the CLI and the widget API so an
 * account the CLI accepts can always log in from the widget. Returns a problem description or null.
 */
export const MAX_LOGIN_LENGTH = 200;
export const MAX_PASSWORD_LENGTH = 1024;

// Printable, no whitespace: logins end up in log lines, CLI tables and ordering keys.
const LOGIN_RE = /^[^\s\p{C}]+$/u;

export function validateLogin(login: string): string | null {
  if (login.length === 0) return 'must not be empty';
  if (login.length > MAX_LOGIN_LENGTH) return `must be at most ${MAX_LOGIN_LENGTH} characters`;
  if (!LOGIN_RE.test(login)) return 'must not contain spaces or control characters';
  return null;
}

export function validatePassword(password: string): string | null {
  if (password.length === 0) return 'must not be empty';
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
