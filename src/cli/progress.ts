// A progress bar for long CLI runs: redrawn in place on a terminal, a line every few seconds otherwise (CI logs).
// The bar advances in its own unit (`total`, e.g. bytes of a file); the rate is of items (e.g. events) per second.
export interface ProgressBar {
  update(done: number, items: number, extra?: string): void;
  finish(items: number, extra?: string): void;
}

export function progressBar(
  label: string,
  total: number,
  itemName: string,
  out: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  const started = Date.now();
  let lastDraw = 0;
  const tty = out.isTTY;
  const render = (done: number, items: number, extra: string): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? items / secs : 0;
    const eta = frac > 0 && frac < 1 ? (secs / frac) * (1 - frac) : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const pct = (frac * 100).toFixed(1).padStart(5);
    return `${label} [${bar}] ${pct}%  ${Math.round(rate).toLocaleString('en-US')} ${itemName}/s  ETA ${eta.toFixed(0)}s  ${extra}`;
  };
  return {
    update(done, items, extra = '') {
      const now = Date.now();
      if (now - lastDraw < (tty ? 100 : 5000)) return;
      lastDraw = now;
      out.write(tty ? `\r${render(done, items, extra)}\u001b[K` : `${render(done, items, extra)}\n`);
    },
    finish(items, extra = '') {
      out.write(`${tty ? '\r' : ''}${render(total, items, extra)}${tty ? '\u001b[K' : ''}\n`);
    },
  };
}

/** One bar per phase of a long run (e.g. replay, then derive): a new phase finishes the previous bar. */
export function phasedProgress(out: NodeJS.WriteStream = process.stderr) {
  let current: { label: string; bar: ProgressBar; done: number } | null = null;
  return {
    update(label: string, itemName: string, p: { done: number; total: number | null }): void {
      if (current?.label !== label) {
        current?.bar.finish(current.done);
        current = { label, bar: progressBar(label, p.total ?? 0, itemName, out), done: 0 };
      }
      current.done = p.done;
      current.bar.update(p.done, p.done);
    },
    finish(): void {
      current?.bar.finish(current.done);
      current = null;
    },
  };
}
