import type { EmulatorControl } from '@amochan/amojo-emulator';

/**
 * What the sandbox console needs beyond AppDeps: the embedded emulator (it plays amoCRM, so the
 * console's inbox is its state) and the demo identities. main.ts fills this in sandbox mode only.
 */
export interface SandboxDeps {
  emulator: EmulatorControl;
  /** The emulator's own URL: its control API is served again under our /_emulator. */
  emulatorUrl: string;
  /** The fake amoCRM account's amojo id the widget host page announces (APP.constant('account').amojo_id). */
  amojoAccountId: string;
  /** The seeded provider account the widget connects with. */
  login: string;
  password: string;
}

/** Fixed, so a binding stored by one sandbox run still names the same fake amoCRM account after a restart. */
export const SANDBOX_AMOJO_ID = '0b5e55ed-5a4d-4b0c-8a11-00000000de70';
/** The fake amoCRM account id and subdomain shown by the host page (and put in sandbox widget tokens). */
export const SANDBOX_AMOCRM_ACCOUNT_ID = 30_000_001;
export const SANDBOX_SUBDOMAIN = 'sandbox';
