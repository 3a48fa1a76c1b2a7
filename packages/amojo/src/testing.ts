/*
 * `@amochan/amojo/testing`: what a test of an amojo integration needs and should not write by hand.
 * Sign a hook the way amojo does, build hook bodies in the documented shapes, and move time by hand.
 * Node-only (it signs with node:crypto); never import it from production code.
 */
export { createTestClock, type TestClock } from './testing/test-clock';
export { HOOK_USER_AGENT, signHook, type SignedHook } from './testing/sign-hook';
export {
  buildMessageHook,
  buildReactionHook,
  buildTypingHook,
  buildWriteFirstHook,
  type HookBase,
  type MessageHookInput,
  type ReactionHookInput,
  type TypingHookInput,
  type WriteFirstHookInput,
} from './testing/hook-builders';
