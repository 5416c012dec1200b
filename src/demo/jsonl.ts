// JSON Lines output: streams any iterable of JSON values to a file, one compact object per line, honouring the
// write stream's backpressure so a generator of millions of events is never buffered whole.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/** Lines are written in chunks of about this many characters: one write per line costs more than the I/O. */
const CHUNK = 64 * 1024;

/** Writes `values` to `path` (created or truncated) as JSON Lines; resolves once the file is flushed and closed. */
export async function writeJsonl(
  path: string,
  values: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<{ lines: number }> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  // Errors surface through the awaits below; this listener only keeps an early 'error' from being unhandled.
  out.on('error', () => {});
  let lines = 0;
  let chunk = '';
  try {
    for await (const value of values) {
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) throw new TypeError(`line ${lines + 1} is not a JSON value`);
      chunk += json + '\n';
      lines++;
      if (chunk.length >= CHUNK) {
        await write(out, chunk);
        chunk = '';
      }
    }
    if (chunk) await write(out, chunk);
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy();
    throw err;
  }
  return { lines };
}

/** Writes, and when the stream's buffer is full waits for 'drain' (or fails with the stream's error). */
function write(out: WriteStream, text: string): Promise<void> {
  if (out.errored) return Promise.reject(out.errored);
  if (out.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(err);
    const onClose = () => done(out.errored ?? new Error('stream closed before it drained'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}
