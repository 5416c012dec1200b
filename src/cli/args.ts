// Flag parsing shared by the CLI's commands: every flag takes a value, and a bad one is named with its rule.
import type { z } from 'zod';

/** `--name value` flags; every flag takes a value. */
export function flags(args: string[], allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    if (!args[i]!.startsWith('--') || !allowed.includes(name) || args[i + 1] === undefined) {
      throw new Error(
        `unexpected argument ${JSON.stringify(args[i])}; flags: ${allowed.map((a) => `--${a}`).join(' ')}`,
      );
    }
    out[name] = args[i + 1]!;
  }
  return out;
}

export function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function rate(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const r = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || r > 1)
    throw new Error(`--${name} must be a probability from 0 to 1, got ${JSON.stringify(value)}`);
  return r;
}

/** A flag value checked by its schema: the error names the flag and the rule. */
export function checked<T>(name: string, schema: z.ZodType<T>, value: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`--${name} ${JSON.stringify(value)}: ${r.error.issues[0]!.message}`);
  return r.data;
}
