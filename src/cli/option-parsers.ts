/** Value parsers for commander options: a bad value is a usage error (exit 2) naming the flag. */
import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  }
  return n;
}

export function parseUnitInterval(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -1 || n > 1) {
    throw new InvalidArgumentError(`expected a number between -1 and 1, got "${value}".`);
  }
  return n;
}

/** A similarity score: cosine in [-1, 1], CSLS in [-2, 2]. */
export function parseScore(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -2 || n > 2) {
    throw new InvalidArgumentError(`expected a number between -2 and 2, got "${value}".`);
  }
  return n;
}

export function parseIsoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${value}".`);
  }
  return value;
}

export function parseChoice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}".`);
    }
    return value as T;
  };
}
