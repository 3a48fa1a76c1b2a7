import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Paths pino censors wherever they appear in a log object. Request bodies and headers are the usual
 * way a password or token leaks into logs, so both their top level and one level of nesting are
 * covered; code should still avoid logging bodies at all.
 */
export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.cookie',
  '*["x-auth-token"]',
  '*.*.password',
  '*.*.secret',
  '*.*.token',
  '*.*.authorization',
  '*.*.cookie',
  '*.*["x-auth-token"]',
  '*.*["x-signature"]',
  '*.*["x-amochan-signature"]',
  'config.AMOJO_CHANNEL_SECRET',
  'config.PROVIDER_API_TOKEN',
  'config.PROVIDER_WEBHOOK_SECRET',
  'config.AMOCRM_CLIENT_SECRET',
];

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
}

/** JSON lines on stdout: the format log shippers and the e2e tests (which parse "listening") expect. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'amochan', ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A logger that writes nothing, for tests that do not inspect logs. */
export const createSilentLogger = (): Logger => pino({ level: 'silent' });
