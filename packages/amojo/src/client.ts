import { z } from 'zod';
import { AmojoInvalidRequestError } from './errors';
import { createTransport } from './transport';
import { reactionTarget } from './schemas/reaction-target';
import type { TransportOptions } from './transport';
import {
  connectRequestSchema,
  createChatRequestSchema,
  deliveryStatusRequestSchema,
  disconnectRequestSchema,
  editMessagePayloadSchema,
  newMessagePayloadSchema,
  reactRequestSchema,
  typingRequestSchema,
} from './schemas/requests';
import type {
  ConnectRequest,
  CreateChatRequest,
  DeliveryStatusRequest,
  DisconnectRequest,
  EditMessagePayload,
  NewMessagePayload,
  ReactRequest,
  TypingRequest,
} from './schemas/requests';
import {
  connectResponseSchema,
  createChatResponseSchema,
  editMessageResponseSchema,
  historyResponseSchema,
  newMessageResponseSchema,
} from './schemas/responses';
import type { ConnectResponse, CreateChatResponse, EditMessageResponse, HistoryResponse, NewMessageResponse } from './schemas/responses';

/*
 * One method per amojo endpoint, wire-format (snake_case) payloads typed from the schemas. Requests
 * are validated before sending, so a bad payload fails fast with the field named instead of a bare
 * amojo 400 after a network round trip (and never burns a retry).
 */

export interface AmojoClientOptions extends TransportOptions {
  /** The registered channel's id (uuid); connect/disconnect are addressed by it. */
  channelId: string;
}

type WithOptionalTimestamps<T> = Omit<T, 'timestamp' | 'msec_timestamp'> & { timestamp?: number; msec_timestamp?: number };

export type ConnectInput = Omit<ConnectRequest, 'hook_api_version'> & { hook_api_version?: 'v2' };
export type SendMessageInput = WithOptionalTimestamps<NewMessagePayload>;
export type EditMessageInput = WithOptionalTimestamps<EditMessagePayload>;
export type DeliveryStatusInput = Omit<DeliveryStatusRequest, 'msgid'>;
export interface HistoryQuery {
  offset?: number;
  /** At most 50 (amojo's limit). */
  limit?: number;
}

export interface AmojoClient {
  connect(body: ConnectInput): Promise<ConnectResponse>;
  disconnect(body: DisconnectRequest): Promise<void>;
  createChat(scopeId: string, body: CreateChatRequest): Promise<CreateChatResponse>;
  sendMessage(scopeId: string, payload: SendMessageInput): Promise<NewMessageResponse>;
  editMessage(scopeId: string, payload: EditMessageInput): Promise<EditMessageResponse>;
  setDeliveryStatus(scopeId: string, amojoMsgId: string, status: DeliveryStatusInput): Promise<void>;
  getHistory(scopeId: string, amojoChatId: string, query?: HistoryQuery): Promise<HistoryResponse>;
  typing(scopeId: string, body: TypingRequest): Promise<void>;
  react(scopeId: string, body: ReactRequest): Promise<void>;
}

const historyQuerySchema = z.object({
  offset: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(50).optional(),
});

function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): void {
  const result = schema.safeParse(value);
  if (!result.success) throw new AmojoInvalidRequestError(what, result.error.issues);
}

const seg = (value: string, what: string): string => {
  if (typeof value !== 'string' || value === '') {
    throw new AmojoInvalidRequestError(what, [{ code: 'custom', path: [what], message: 'must be a non-empty string', input: value }]);
  }
  return encodeURIComponent(value);
};

export function createAmojoClient(options: AmojoClientOptions): AmojoClient {
  const transport = createTransport(options);
  const clock = options.clock ?? (() => new Date());
  const base = '/v2/origin/custom';

  /** Fills what the caller left out; amojo wants integers for both. */
  function withTimestamps<T extends { timestamp?: number; msec_timestamp?: number }>(p: T): T & { timestamp: number; msec_timestamp: number } {
    const msec = p.msec_timestamp ?? (p.timestamp !== undefined ? p.timestamp * 1000 : clock().getTime());
    return { ...p, timestamp: p.timestamp ?? Math.floor(msec / 1000), msec_timestamp: msec };
  }

  return {
    async connect(input) {
      const body: ConnectRequest = { ...input, hook_api_version: 'v2' };
      validate(connectRequestSchema, body, 'connect request');
      return transport.request({
        method: 'POST',
        path: `${base}/${seg(options.channelId, 'channelId')}/connect`,
        body,
        expect: { kind: 'json', schema: connectResponseSchema },
      });
    },

    async disconnect(body) {
      validate(disconnectRequestSchema, body, 'disconnect request');
      // A DELETE with a JSON body: that is what amojo's captured requests show.
      await transport.request({ method: 'DELETE', path: `${base}/${seg(options.channelId, 'channelId')}/disconnect`, body, expect: { kind: 'empty' } });
    },

    async createChat(scopeId, body) {
      validate(createChatRequestSchema, body, 'create chat request');
      return transport.request({
        method: 'POST',
        path: `${base}/${seg(scopeId, 'scopeId')}/chats`,
        body,
        expect: { kind: 'json', schema: createChatResponseSchema },
      });
    },

    async sendMessage(scopeId, input) {
      const payload = withTimestamps(input);
      validate(newMessagePayloadSchema, payload, 'new_message payload');
      return transport.request({
        method: 'POST',
        path: `${base}/${seg(scopeId, 'scopeId')}`,
        body: { event_type: 'new_message', payload },
        expect: { kind: 'json', schema: newMessageResponseSchema },
      });
    },

    async editMessage(scopeId, input) {
      const payload = withTimestamps(input);
      validate(editMessagePayloadSchema, payload, 'edit_message payload');
      return transport.request({
        method: 'POST',
        path: `${base}/${seg(scopeId, 'scopeId')}`,
        body: { event_type: 'edit_message', payload },
        expect: { kind: 'json', schema: editMessageResponseSchema, empty: {} },
      });
    },

    async setDeliveryStatus(scopeId, amojoMsgId, status) {
      const body: DeliveryStatusRequest = { msgid: amojoMsgId, ...status };
      validate(deliveryStatusRequestSchema, body, 'delivery_status request');
      await transport.request({
        method: 'POST',
        path: `${base}/${seg(scopeId, 'scopeId')}/${seg(amojoMsgId, 'amojoMsgId')}/delivery_status`,
        body,
        expect: { kind: 'empty' },
      });
    },

    async getHistory(scopeId, amojoChatId, query = {}) {
      validate(historyQuerySchema, query, 'history query');
      return transport.request({
        method: 'GET',
        path: `${base}/${seg(scopeId, 'scopeId')}/chats/${seg(amojoChatId, 'amojoChatId')}/history`,
        query: { offset: query.offset, limit: query.limit },
        expect: { kind: 'json', schema: historyResponseSchema, empty: { messages: [] } },
      });
    },

    async typing(scopeId, body) {
      validate(typingRequestSchema, body, 'typing request');
      await transport.request({ method: 'POST', path: `${base}/${seg(scopeId, 'scopeId')}/typing`, body, expect: { kind: 'empty' } });
    },

    async react(scopeId, body) {
      validate(reactRequestSchema, body, 'react request');
      // Exactly one of msgid / id: with both, amojo's choice between them is undocumented.
      reactionTarget(body);
      await transport.request({ method: 'POST', path: `${base}/${seg(scopeId, 'scopeId')}/react`, body, expect: { kind: 'empty' } });
    },
  };
}
