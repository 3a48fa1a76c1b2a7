import { LOGIN_PATTERN, MAX_LOGIN_LENGTH, MAX_PASSWORD_LENGTH } from '../../contract/credential-limits';

/**
 * The CLI's checks of a login and password, by the widget API's own limits (the contract), so an
 * account the CLI accepts can always log in from the widget. Returns a problem description or null.
 */
export function validateLogin(login: string): string | null {
  if (login.length === 0) return 'must not be empty';
  if (login.length > MAX_LOGIN_LENGTH) return `must be at most ${MAX_LOGIN_LENGTH} characters`;
  if (!LOGIN_PATTERN.test(login)) return 'must not contain spaces or control characters';
  return null;
}

export function validatePassword(password: string): string | null {
  if (password.length === 0) return 'must not be empty';
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
