/** The amoCRM side: OAuth install, tokens, REST calls (account, sources, pipelines), uninstall signature. */
export * from './account-api';
export * from './channels';
export * from './disable-signature';
export * from './errors';
export * from './external-id';
export * from './http';
export * from './install';
export * from './oauth-client';
export * from './pipelines-api';
export * from './problem';
export * from './referer';
export * from './rest-client';
export * from './sources-api';
export * from './token-crypto';
export * from './token-manager';
export * from './source-sync';
