import { AmojoNetworkError } from './errors';

/*
 * One fetch with a deadline that covers the whole answer, body included: a server that sends its
 * headers and then stalls is as much a timeout as one that never answers. Failures come back coded,
 * `timeout` or `network`, so callers decide on retries without string matching.
 */

export type FetchImpl = (url: string, init: RequestInit) => Promise<Response>;

/** A fully read answer. */
export interface TimedResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

export async function fetchWithTimeout(fetchImpl: FetchImpl, url: string, init: RequestInit, timeoutMs: number): Promise<TimedResponse> {
  const controller = new AbortController();
  const outer = init.signal;
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  if (outer) {
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener('abort', onOuterAbort, { once: true });
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await fetchImpl(url, { ...init, signal: controller.signal });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    const where = `${init.method ?? 'GET'} ${safeUrl(url)}`;
    if (timedOut) throw new AmojoNetworkError('timeout', `no answer to ${where} within ${timeoutMs} ms; retry later or raise the timeout`, { cause: err });
    const why = err instanceof Error ? err.message : String(err);
    throw new AmojoNetworkError('network', `${where} failed before an answer (${why}); check the URL and connectivity`, { cause: err });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** The URL without its query string, which may carry tokens. */
function safeUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
