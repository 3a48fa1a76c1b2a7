/**
 * A configuration the server cannot run with: every problem found, listed together so an operator
 * fixes them in one pass. Here in lib/ rather than in config.ts because storage refuses bad database
 * settings with it too (DATABASE_URL, schema versions, copy-store targets), and storage must not
 * depend on the module that reads the environment.
 */
export class ConfigError extends Error {
  readonly code = 'invalid_config' as const;
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
