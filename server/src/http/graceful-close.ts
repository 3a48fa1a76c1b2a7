import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

/**
 * Closing an HTTP server whose clients keep their connections alive. server.close() only stops new
 * connections and drops the ones idle at that instant; a busy keep-alive client sends its next
 * request on the same socket, is served, and the socket never goes idle, so a shutdown would wait
 * for SHUTDOWN_TIMEOUT_MS. Here, once closing: every answer not yet sent carries
 * `Connection: close` (Node then ends the socket after it), and sockets that fall idle are dropped
 * as they do, so a shutdown takes about as long as the requests in flight.
 */
export interface GracefulClose {
  /** Wraps the request listener so answers can be told to close their connection. */
  listener: RequestListener;
  /** Stops accepting and resolves once every connection is gone. */
  close(server: Server): Promise<void>;
}

const IDLE_SWEEP_MS = 25;

export function createGracefulClose(inner: RequestListener): GracefulClose {
  let closing = false;
  const inFlight = new Set<ServerResponse>();

  const listener: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    inner(req, res);
  };

  return {
    listener,
    close(server) {
      closing = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      return new Promise<void>((resolve) => {
        // A socket between two requests of a busy client is idle only for a moment: sweep often.
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        sweep.unref();
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
