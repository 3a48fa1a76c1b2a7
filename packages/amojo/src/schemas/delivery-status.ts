/*
 * amojo's delivery_status values and error codes, named once. The docs' table calls the field
 * `status_code`; every captured request uses `delivery_status`, which is what amojo accepts.
 */

export const DELIVERY_STATUS = { delivered: 1, read: 2, error: -1 } as const;
export type DeliveryStatusName = keyof typeof DELIVERY_STATUS;
export type DeliveryStatusCode = (typeof DELIVERY_STATUS)[DeliveryStatusName];
export const DELIVERY_STATUS_CODES = [DELIVERY_STATUS.delivered, DELIVERY_STATUS.read, DELIVERY_STATUS.error] as const;

/** Why a message could not be delivered (with delivery_status -1). 905 must carry an `error` text. */
export const DELIVERY_ERROR = {
  /** The user deleted the conversation. */
  userDeletedConversation: 901,
  /** The integration is disabled on the channel's side. */
  integrationDisabled: 902,
  internalError: 903,
  /** The conversation cannot be created (e.g. the number is not in the messenger). */
  cannotCreateConversation: 904,
  /** Anything else; amoCRM shows the accompanying `error` text. */
  other: 905,
} as const;
export type DeliveryErrorName = keyof typeof DELIVERY_ERROR;
export type DeliveryErrorCode = (typeof DELIVERY_ERROR)[DeliveryErrorName];
export const DELIVERY_ERROR_CODES = [901, 902, 903, 904, 905] as const satisfies readonly DeliveryErrorCode[];

export function isDeliveryStatusCode(value: unknown): value is DeliveryStatusCode {
  return (DELIVERY_STATUS_CODES as readonly unknown[]).includes(value);
}

export function isDeliveryErrorCode(value: unknown): value is DeliveryErrorCode {
  return (DELIVERY_ERROR_CODES as readonly unknown[]).includes(value);
}
