import { z } from 'zod';

/*
 * The `message` object of new_message and edit_message, checked the way the Chats API reference
 * states it (written here, independently of the SDK):
 * - type ∈ text, picture, video, file, voice, audio, sticker, location, contact;
 * - text required for text (a caption otherwise);
 * - media (a URL amoCRM downloads) for picture/video/file/voice/audio, and for a sticker unless it
 *   is named by sticker_id;
 * - file_name and file_size (bytes) for file, video and picture;
 * - location {lon, lat} floats; contact {name, phone}.
 * On edit the media fields are optional; the other rules hold.
 */

export const DOCUMENTED_TYPES = ['text', 'picture', 'video', 'file', 'voice', 'audio', 'sticker', 'location', 'contact'];
const WITH_MEDIA = ['picture', 'video', 'file', 'voice', 'audio'];
const WITH_FILE_FIELDS = ['file', 'video', 'picture'];

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function checkMessageContent(m: Record<string, unknown>, ctx: z.RefinementCtx, mode: 'new' | 'edit'): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  const type = m.type;
  if (typeof type !== 'string' || !DOCUMENTED_TYPES.includes(type)) {
    issue('type', `expected one of ${DOCUMENTED_TYPES.join(', ')}`);
    return;
  }
  if (m.text !== undefined && typeof m.text !== 'string') issue('text', 'expected a string');
  if (type === 'text' && !str(m.text)) issue('text', 'required for a text message');
  if (m.media !== undefined && !(typeof m.media === 'string' && /^https?:\/\/\S+$/i.test(m.media))) issue('media', 'expected an http(s) URL');
  if (mode === 'new') {
    if (WITH_MEDIA.includes(type) && !str(m.media)) issue('media', `required for ${type}`);
    if (type === 'sticker' && !str(m.media) && !str(m.sticker_id)) issue('media', 'a sticker needs media or sticker_id');
    if (WITH_FILE_FIELDS.includes(type) && !str(m.file_name)) issue('file_name', `required for ${type}`);
    if (WITH_FILE_FIELDS.includes(type) && !num(m.file_size)) issue('file_size', `required for ${type}`);
  }
  const wholeOrAbsent = (v: unknown): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
  if (!wholeOrAbsent(m.file_size)) issue('file_size', 'expected whole bytes');
  if (!wholeOrAbsent(m.media_duration)) issue('media_duration', 'expected whole seconds');
  const location = m.location as { lon?: unknown; lat?: unknown } | undefined;
  if (type === 'location' && !(location && num(location.lon) && num(location.lat) && Math.abs(location.lon) <= 180 && Math.abs(location.lat) <= 90)) {
    if (mode === 'new' || location !== undefined) issue('location', 'expected {lon, lat} as numbers');
  }
  const contact = m.contact as { name?: unknown; phone?: unknown } | undefined;
  if (type === 'contact' && !(contact && str(contact.name) && str(contact.phone))) {
    if (mode === 'new' || contact !== undefined) issue('contact', 'expected {name, phone}');
  }
}

export const newMessageContentSchema = z.looseObject({ type: z.string() }).superRefine((m, ctx) => checkMessageContent(m, ctx, 'new'));
export const editMessageContentSchema = z.looseObject({ type: z.string() }).superRefine((m, ctx) => checkMessageContent(m, ctx, 'edit'));
