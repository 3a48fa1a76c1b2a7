import { z } from 'zod';
import { httpUrlSchema } from './common';

/**
 * The `message` object of new_message / edit_message: a discriminated union on `type`, so each
 * type's required fields are enforced before the request leaves (amojo would answer a bare 400).
 */

export const MESSAGE_TYPES = ['text', 'picture', 'video', 'file', 'voice', 'audio', 'sticker', 'location', 'contact'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

// Fields any type may carry: `text` doubles as a caption for media, `callback_data` answers a list message.
const common = {
  text: z.string().optional(),
  callback_data: z.string().optional(),
};

const fileFields = {
  media: httpUrlSchema,
  file_name: z.string().min(1),
  file_size: z.number().int().nonnegative(),
};

const mediaDuration = { media_duration: z.number().int().nonnegative().optional() };

export const textMessageSchema = z.object({ ...common, type: z.literal('text'), text: z.string().min(1) });
export const pictureMessageSchema = z.object({ ...common, type: z.literal('picture'), ...fileFields });
export const videoMessageSchema = z.object({ ...common, type: z.literal('video'), ...fileFields, ...mediaDuration });
export const fileMessageSchema = z.object({ ...common, type: z.literal('file'), ...fileFields });
export const voiceMessageSchema = z.object({
  ...common,
  type: z.literal('voice'),
  media: httpUrlSchema,
  file_name: z.string().optional(),
  file_size: z.number().int().nonnegative().optional(),
  ...mediaDuration,
});
export const audioMessageSchema = z.object({
  ...common,
  type: z.literal('audio'),
  media: httpUrlSchema,
  file_name: z.string().optional(),
  file_size: z.number().int().nonnegative().optional(),
  ...mediaDuration,
});
/** A sticker amoCRM knows by id needs no media URL; one of the two is required. */
export const stickerMessageSchema = z
  .object({
    ...common,
    type: z.literal('sticker'),
    media: httpUrlSchema.optional(),
    sticker_id: z.string().min(1).optional(),
  })
  .refine((m) => Boolean(m.media || m.sticker_id), { message: 'a sticker needs media or sticker_id', path: ['media'] });
export const locationMessageSchema = z.object({
  ...common,
  type: z.literal('location'),
  location: z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }),
});
export const contactMessageSchema = z.object({
  ...common,
  type: z.literal('contact'),
  contact: z.object({ name: z.string().min(1), phone: z.string().min(1) }),
});

export const messageSchema = z.discriminatedUnion('type', [
  textMessageSchema,
  pictureMessageSchema,
  videoMessageSchema,
  fileMessageSchema,
  voiceMessageSchema,
  audioMessageSchema,
  stickerMessageSchema,
  locationMessageSchema,
  contactMessageSchema,
]);

/**
 * The `message` of edit_message: the docs make the media fields optional on edit (a caption can
 * change without re-sending the file), so only `type` is required, and `text` for a text message.
 */
export const editMessageContentSchema = z.discriminatedUnion('type', [
  textMessageSchema,
  ...MESSAGE_TYPES.filter((t) => t !== 'text').map((t) =>
    z.object({
      ...common,
      type: z.literal(t),
      media: httpUrlSchema.optional(),
      file_name: z.string().optional(),
      file_size: z.number().int().nonnegative().optional(),
      sticker_id: z.string().optional(),
      ...mediaDuration,
      location: z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }).optional(),
      contact: z.object({ name: z.string().min(1), phone: z.string().min(1) }).optional(),
    }),
  ),
]);
export type EditMessageContent = z.infer<typeof editMessageContentSchema>;

export type TextMessage = z.infer<typeof textMessageSchema>;
export type PictureMessage = z.infer<typeof pictureMessageSchema>;
export type VideoMessage = z.infer<typeof videoMessageSchema>;
export type FileMessage = z.infer<typeof fileMessageSchema>;
export type VoiceMessage = z.infer<typeof voiceMessageSchema>;
export type AudioMessage = z.infer<typeof audioMessageSchema>;
export type StickerMessage = z.infer<typeof stickerMessageSchema>;
export type LocationMessage = z.infer<typeof locationMessageSchema>;
export type ContactMessage = z.infer<typeof contactMessageSchema>;
export type Message = z.infer<typeof messageSchema>;
