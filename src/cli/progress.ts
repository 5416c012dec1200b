// A progress bar for long CLI runs: redrawn in place on a terminal, a line every few seconds otherwise (CI logs).
export interface ProgressBar {
  update(done: number, extra?: string): void;
  finish(extra?: string): void;
}

export function progressBar(label: string, total: number, out: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  let lastDraw = 0;
  const tty = out.isTTY;
  const render = (done: number, extra: string): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 && frac < 1 ? (total - done) / rate : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    return `${label} [${bar}] ${(frac * 100).toFixed(1).padStart(5)}%  ${Math.round(rate).toLocaleString('en-US')}/s  ETA ${eta.toFixed(0)}s  ${extra}`;
  };
  return {
    update(done, extra = '') {
      const now = Date.now();
      if (now - lastDraw < (tty ? 100 : 5000)) return;
      lastDraw = now;
      out.write(tty ? `\r${render(done, extra)}\u001b[K` : `${render(done, extra)}\n`);
    },
    finish(extra = '') {
      out.write(`${tty ? '\r' : ''}${render(total, extra)}${tty ? '\u001b[K' : ''}\n`);
    },
  };
}
