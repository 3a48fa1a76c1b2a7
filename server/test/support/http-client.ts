/** JSON calls over real HTTP (fetch), as the widget's $authorizedAjax or a provider makes them. */

export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: Record<string, any> | null;
}

export async function call(url: string, method: 'GET' | 'POST' | 'PUT', body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as CallResult['body']) : null };
}

/** `call` with GET as the default method, for reading pages and APIs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (url: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<{ status: number; body: any }> => call(url, method, body);
