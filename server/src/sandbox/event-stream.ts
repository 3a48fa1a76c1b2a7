import type { RequestHandler } from 'express';
import type { BusRecord, EventBus } from './event-bus';

/**
 * GET /sandbox/events: the event bus as server-sent events. A new client first gets the buffered
 * history (or, reconnecting with Last-Event-ID, only what it missed), then live records. Each record
 * is one `event: <kind>` with `id: <instance>.<seq>` and the record as JSON data; `hello` (before the
 * replay) names the server instance, `ready` (after it) ends the replay.
 */

/** The seq a reconnecting client saw last, if it saw it from this very process (else: replay all). */
export function lastSeenSeq(lastEventId: string | undefined, instance: string): number {
  const match = /^([0-9a-f]+)\.(\d+)$/.exec(lastEventId ?? '');
  return match && match[1] === instance ? Number(match[2]) : 0;
}
export function createEventStream(bus: EventBus, heartbeatMs = 15_000): RequestHandler {
  return (req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) must not buffer a stream.
      'X-Accel-Buffering': 'no',
    });
    const write = (r: BusRecord) => res.write(`id: ${bus.instance}.${r.seq}\nevent: ${r.kind}\ndata: ${JSON.stringify(r)}\n\n`);
    res.write('retry: 2000\n\n');
    res.write(`event: hello\ndata: ${JSON.stringify({ instance: bus.instance })}\n\n`);
    for (const r of bus.recent(lastSeenSeq(req.get('last-event-id'), bus.instance))) write(r);
    // Tells the client the replay is over, so it can render once instead of per record.
    res.write('event: ready\ndata: {}\n\n');

    const unsubscribe = bus.subscribe(write);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    heartbeat.unref();
    let offClose = (): void => undefined;
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      offClose();
    };
    // The server is stopping: end the stream, or server.close() would wait for it.
    offClose = bus.onClose(() => {
      end();
      res.end();
    });
    req.on('close', end);
  };
}
