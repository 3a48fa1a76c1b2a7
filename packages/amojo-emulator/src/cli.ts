#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { MSGID_UNIQUENESS_MODES, type MsgidUniqueness } from './settings';
import { startEmulator } from './start';

/*
 * Standalone emulator: `amojo-emulator [--port N] [--host H] [--channel-id X] [--secret S]
 * [--webhook-url URL] [--msgid-uniqueness per_account|per_channel] [--log]`. Prints what to give the amochan server and stays up until
 * SIGINT/SIGTERM.
 */

const USAGE = `usage: amojo-emulator [--port N] [--host H] [--channel-id ID] [--secret S] [--webhook-url URL]
                     [--msgid-uniqueness per_account|per_channel] [--log]
  --port         listen port (default 0: any free port)
  --host         listen address (default 127.0.0.1)
  --channel-id   the channel's id (default: a random uuid)
  --secret       the channel's secret (default: 40 random hex characters)
  --webhook-url  the channel callback URL, with :scope_id (e.g. http://127.0.0.1:3000/amojo/v1/webhook/:scope_id)
  --msgid-uniqueness
                 how wide a msgid must be unique: per_account (default) or per_channel
  --log          print one line per API request`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'channel-id': { type: 'string' },
        secret: { type: 'string' },
        'webhook-url': { type: 'string' },
        'msgid-uniqueness': { type: 'string' },
        log: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer between 0 and 65535\n${USAGE}`);
    process.exit(2);
  }

  const uniqueness = values['msgid-uniqueness'];
  if (uniqueness !== undefined && !(MSGID_UNIQUENESS_MODES as readonly string[]).includes(uniqueness)) {
    console.error(`--msgid-uniqueness must be one of ${MSGID_UNIQUENESS_MODES.join(', ')}\n${USAGE}`);
    process.exit(2);
  }

  const emulator = await startEmulator({
    port,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['channel-id'] !== undefined ? { channelId: values['channel-id'] } : {}),
    ...(values.secret !== undefined ? { secret: values.secret } : {}),
    ...(values['webhook-url'] !== undefined ? { webhookUrl: values['webhook-url'] } : {}),
    ...(uniqueness !== undefined ? { msgidUniqueness: uniqueness as MsgidUniqueness } : {}),
    logRequests: values.log ?? false,
  });

  // Handlers first: whoever reads the banner may signal us the moment it appears.
  const stop = (signal: string): void => {
    console.log(`${signal}: closing`);
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  console.log(`amojo emulator listening on ${emulator.url}`);
  console.log(`channel id:     ${emulator.channelId}`);
  console.log(`channel secret: ${emulator.secret}`);
  console.log(`msgid unique:   ${emulator.control.msgidUniqueness()}`);
  console.log(`webhook url:    ${values['webhook-url'] ?? '(not set: POST ' + emulator.url + '/_emulator/webhook-url {"url":"..."})'}`);
  console.log('');
  console.log('Point the amochan server at it with:');
  console.log(`  AMOJO_BASE_URL=${emulator.url} AMOJO_CHANNEL_ID=${emulator.channelId} AMOJO_CHANNEL_SECRET=${emulator.secret}`);
  console.log(`Control API: ${emulator.url}/_emulator (see the package README)`);
}

main().catch((err: unknown) => {
  console.error(`amojo-emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
