/**
 * What a provider login and password may look like. Part of the widget API's contract, and the
 * same rules the CLI applies, so an account the CLI accepts can always log in from the widget.
 */
export const MAX_LOGIN_LENGTH = 200;
export const MAX_PASSWORD_LENGTH = 1024;

/** Printable, no whitespace: logins end up in log lines, CLI tables and ordering keys. */
export const LOGIN_PATTERN = /^[^\s\p{C}]+$/u;
