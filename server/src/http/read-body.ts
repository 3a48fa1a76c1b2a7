import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { AppError } from '../lib/errors';

/**
 * Reads a request body under a byte limit. With `inflate`, a gzip/deflate/br body is decompressed
 * first and the limit applies to the inflated bytes, so a small compression bomb is refused like a
 * large body (the same rule express's body parser applies). Without it the bytes are untouched: the
 * amojo hooks' HMAC covers exactly what was sent.
 */

function decoder(req: IncomingMessage, inflate: boolean): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity' || !inflate) return req;
  const stream =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : null;
  if (!stream) {
    req.resume();
    throw new AppError('unsupported_media_type', `unsupported content encoding "${encoding}"; send gzip, deflate, br or identity`);
  }
  req.pipe(stream);
  return stream;
}

export function readBody(req: IncomingMessage, limit: number, options: { inflate: boolean }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new AppError('payload_too_large', `request body is larger than the ${limit} byte limit`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    let source: Readable;
    try {
      source = decoder(req, options.inflate);
    } catch (err) {
      reject(err);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: AppError) => {
      if (done) return;
      done = true;
      source.removeAllListeners('data');
      if (source !== req) source.destroy();
      req.resume();
      reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        fail(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    source.on('error', () => fail(new AppError('invalid_request', 'request body could not be read')));
    if (source !== req) req.on('error', () => fail(new AppError('invalid_request', 'request body could not be read')));
  });
}
