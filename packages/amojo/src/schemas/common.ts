import { z } from 'zod';

/*
 * Building blocks shared by the request, response and webhook schemas. Browser-safe: this folder
 * never imports node: modules, so the widget can validate with the same source of truth.
 */

/** A non-empty identifier (ours or amojo's). amojo answers 400 on empty ids, so we catch it first. */
export const idSchema = z.string().min(1);

/** A public http(s) URL amoCRM can download (media, avatars, profile links). */
export const httpUrlSchema = z.string().regex(/^https?:\/\/\S+$/i, 'expected an http(s) URL');

/** Whole seconds / milliseconds since the epoch: amojo rejects fractional timestamps. */
export const unixSecondsSchema = z.number().int().nonnegative();
export const unixMillisSchema = z.number().int().nonnegative();

export const profileSchema = z.object({
  phone: z.string().optional(),
  email: z.string().optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** `source.external_id`: at most 40 printable ASCII characters, per the docs. */
export const sourceSchema = z.object({
  external_id: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[\x20-\x7e]+$/, 'expected printable ASCII'),
});
export type Source = z.infer<typeof sourceSchema>;

/** A participant as we describe it to amojo (sender/receiver of new_message, user of create chat). */
export const participantSchema = z.object({
  id: idSchema,
  ref_id: z.string().optional(),
  name: z.string().optional(),
  avatar: httpUrlSchema.optional(),
  profile: profileSchema.optional(),
  profile_link: httpUrlSchema.optional(),
});
export type Participant = z.infer<typeof participantSchema>;

/*
 * Lenient pieces for what amojo sends us. Optional fields may be missing, null, or empty strings,
 * and a hook that fails to parse is lost for good (amojo never retries), so only the ids we
 * cannot work without are required.
 */
export const looseString = z.string().nullish();
export const looseNumber = z.number().nullish();

/**
 * An amojo user as amojo shows it (create-chat answer, a message hook's receiver): id required,
 * contacts flat and lenient. Spread into z.looseObject, with extra fields where amojo adds some.
 */
export const amojoUserShape = {
  id: idSchema,
  client_id: looseString,
  name: looseString,
  avatar: looseString,
  phone: looseString,
  email: looseString,
};
