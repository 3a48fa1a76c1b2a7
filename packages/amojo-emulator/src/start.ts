import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmulatorApp } from './app';
import type { AmocrmControl } from './amocrm';
import type { EmulatorControl } from './control/control';
import type { StartEmulatorOptions } from './options';

export interface RunningEmulator {
  /** Base URL to give the SDK/server as AMOJO_BASE_URL, e.g. http://127.0.0.1:53211 */
  url: string;
  port: number;
  channelId: string;
  secret: string;
  control: EmulatorControl;
  /** The emulated amoCRM REST side, served on the same URL (AMOCRM_API_BASE_URL). */
  amocrm: AmocrmControl;
  close(): Promise<void>;
}

/** Starts the emulator on its own port (0 = OS picks; loopback by default). */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { app, control, channelId, secret, amocrm } = createEmulatorApp(opts);
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer(app);
  // Clients keep connections alive; without this close() would wait for them to time out.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    channelId,
    secret,
    control,
    amocrm,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets and open event streams would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
