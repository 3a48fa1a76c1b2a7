export * from './signing';
export * from './errors';
export * from './retry';
export * from './transport';
export * from './client';
export * from './webhooks';
export * from './schemas';
