import type { CliIo } from './types';

/**
 * Reads one line from stdin. From a pipe (`printf 'pw\n' | cli accounts add bob`) it takes the first
 * line; on a terminal it prompts on stderr and turns echo off, so the password never shows on screen
 * or lands in shell history (which is why it is never an argument).
 */
export async function readSecretLine(io: CliIo, prompt: string): Promise<string> {
  if (io.stdin.isTTY && io.stdin.setRawMode) return readFromTty(io, prompt);
  let data = '';
  for await (const chunk of io.stdin) {
    data += chunk.toString();
    if (data.includes('\n')) break;
  }
  const line = data.split('\n')[0] ?? '';
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function readFromTty(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write(prompt);
  stdin.setRawMode!(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode!(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
