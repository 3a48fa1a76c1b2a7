import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * TRUST_PROXY as express understands it: true/false, a hop count, or a comma-separated list of
 * addresses/subnets/names (loopback, linklocal, uniquelocal). It decides the client address every
 * route logs and the per-IP rate limit counts: trusting too much lets clients spoof X-Forwarded-For.
 */
export function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return value;
}

type TrustFn = (address: string, hop: number) => boolean;

/** The same compilation express applies to its `trust proxy` setting. */
function compileTrust(value: boolean | number | string): TrustFn {
  if (typeof value === 'boolean') return () => value;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return proxyaddr.compile(value.split(',').map((v) => v.trim()));
}

/** The client address of a plain node:http request, exactly as express's req.ip would give it. */
export function createClientIp(trustProxy: string): (req: IncomingMessage) => string | undefined {
  const trust = compileTrust(parseTrustProxy(trustProxy));
  return (req) => {
    try {
      return proxyaddr(req, trust);
    } catch {
      return req.socket.remoteAddress;
    }
  };
}
