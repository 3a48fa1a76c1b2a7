// Browser-safe zod schemas of the Chats API: `@amochan/amojo/schemas`. No node: imports below here.
export * from './common';
export * from './message';
export * from './requests';
export * from './responses';
export * from './webhooks';
export * from './parse-webhook';
export * from './delivery-status';
export * from './reaction-target';
