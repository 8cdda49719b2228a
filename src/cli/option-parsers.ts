/** Value parsers for commander options: a bad value is a usage error (exit 2) naming the flag. */
import { InvalidArgumentError } from 'commander';
import { isRealDate } from '../parse/index.js';

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

export function parseIsoDate(value: string): string {
  // The library's rule (a day that exists), so CLI and API accept the same dates.
  if (!isRealDate(value)) {
    throw new InvalidArgumentError(`expected a real calendar date as YYYY-MM-DD, got "${value}".`);
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
