import type { MessageRecord, UserRecord } from '../state/types';

/*
 * How amojo shows its records to the integration. Chosen shape for users: flat phone/email (what the
 * official create-chat example shows); the SDK also accepts the `profile{}` variant.
 */

export interface UserView {
  id: string;
  client_id?: string;
  name: string;
  avatar?: string;
  phone?: string;
  email?: string;
}

export function userView(user: UserRecord): UserView {
  return {
    id: user.id,
    ...(user.clientId !== null ? { client_id: user.clientId } : {}),
    name: user.name,
    ...(user.avatar ? { avatar: user.avatar } : {}),
    ...(user.phone ? { phone: user.phone } : {}),
    ...(user.email ? { email: user.email } : {}),
  };
}

/**
 * The `message` object amojo reports (history) and sends (hooks): every common field present,
 * empty strings and 0 where nothing was given (amojo does exactly that, and receivers must cope).
 */
export function messageContentView(message: MessageRecord): Record<string, unknown> {
  const m = message.message;
  return {
    ...m,
    id: message.id,
    type: m.type,
    text: m.text ?? '',
    markup: m.markup ?? null,
    tag: '',
    media: m.media ?? '',
    thumbnail: m.thumbnail ?? '',
    file_name: m.file_name ?? '',
    file_size: m.file_size ?? 0,
  };
}

export function historyEntry(message: MessageRecord, sender: UserRecord | undefined, receiver: UserRecord | undefined): Record<string, unknown> {
  return {
    timestamp: message.timestamp,
    msec_timestamp: message.msecTimestamp,
    sender: sender ? userView(sender) : null,
    ...(receiver ? { receiver: userView(receiver) } : {}),
    message: { ...messageContentView(message), client_id: message.clientMsgId ?? '' },
  };
}
