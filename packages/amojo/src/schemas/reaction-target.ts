/*
 * How a reaction names the message it targets. Outbound (`react`): by our msgid or by amojo's id,
 * exactly one of them. Inbound (the reaction hook): the docs disagree, `msgid` at the top or a
 * `message:{id, client_id}` object, so the reader accepts both.
 */

import { AmojoInvalidRequestError } from '../errors';

export type ReactionTarget = { msgid: string; id?: never } | { id: string; msgid?: never };

/**
 * The fields a react request carries to name its message: `{msgid}` for one of ours, `{id}` for
 * amojo's id (a manager's message). Throws on neither or both, which amojo would refuse anyway
 * (AmojoInvalidRequestError, code `invalid_request`).
 */
export function reactionTarget(target: { msgid?: string | null; id?: string | null }): ReactionTarget {
  const msgid = target.msgid || undefined;
  const id = target.id || undefined;
  if (msgid && id) throw invalid('a reaction target is a msgid or an id, not both');
  if (msgid) return { msgid };
  if (id) return { id };
  throw invalid("a reaction target needs a msgid (ours) or an id (amojo's)");
}

function invalid(message: string): AmojoInvalidRequestError {
  return new AmojoInvalidRequestError('reaction target', [{ code: 'custom', path: ['msgid'], message, input: undefined }]);
}

/** amojo's id of the message a reaction hook targets, whichever layout the hook used. */
export function reactionTargetId(reaction: { msgid?: string | null; message?: { id?: string | null; msgid?: string | null } | null }): string | undefined {
  return reaction.msgid || reaction.message?.id || reaction.message?.msgid || undefined;
}
