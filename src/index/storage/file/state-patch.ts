/**
 * What a write changed in the store's small, O(salons) and O(items) records (the
 * salon list and the derived key/value state), as a patch a reader applies on top
 * of the last full copy. An add then saves the rows it touched, not the whole
 * record: at 200k items the neighbourhood statistics alone are ~30 MB of JSON,
 * of which an add of 1,000 items changes a few thousand rows.
 *
 *   const patch = diffState(saved.state, data.state);   // {} when nothing changed
 *   applyStatePatch(state, patch);                        // state now equals data.state
 *
 * The diff is structural and generic (no knowledge of what a key means), so it
 * cannot miss a row a writer changed: arrays of primitives (the statistics' ids)
 * and typed arrays (their labels and scores) are diffed element by element into
 * ranges; anything else that changed is replaced whole.
 *
 * State values are JSON, except that a field may be a typed array while in memory:
 * the statistics of a 200k-item store are two million numbers, and copying them
 * into plain arrays on every write cost an add ~0.25 s. `stateJson` writes typed
 * arrays as plain JSON arrays, so readers always see plain arrays.
 */
import { z } from 'zod';
import { type StoredSalon, StoredSalonSchema } from './manifest.js';

/** Runs of changed array elements closer than this are sent as one range. */
const RANGE_GAP = 8;

const RangeSchema = z.tuple([z.number().int().nonnegative(), z.array(z.unknown())]);
const FieldPatchSchema = z.union([
  z.object({ set: z.unknown() }),
  z.object({ delete: z.literal(true) }),
  z.object({ length: z.number().int().nonnegative(), ranges: z.array(RangeSchema) }),
]);
const KeyPatchSchema = z.union([
  z.object({ set: z.unknown() }),
  z.object({ delete: z.literal(true) }),
  z.object({ fields: z.record(z.string(), FieldPatchSchema) }),
]);
export const StatePatchSchema = z.record(z.string(), KeyPatchSchema);
export type StatePatch = z.infer<typeof StatePatchSchema>;
type FieldPatch = z.infer<typeof FieldPatchSchema>;

/** One write's patch file: salons added or replaced, salons removed, state changes. */
export const PatchFileSchema = z.object({
  salons: z.object({ upsert: z.array(StoredSalonSchema), remove: z.array(z.string()) }),
  state: StatePatchSchema,
});
export type PatchFile = z.infer<typeof PatchFileSchema>;

type Json = Record<string, unknown>;

function isTypedArray(value: unknown): value is Int32Array | Float32Array | Float64Array {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isPlainObject(value: unknown): value is Json {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !isTypedArray(value)
  );
}

/** A list diffed element by element: a typed array, or a plain array of primitives. */
function isFlatList(value: unknown): value is ArrayLike<unknown> {
  return isTypedArray(value) || (Array.isArray(value) && value.every(isPrimitive));
}

/** JSON text of a state value (or patch): typed arrays are written as plain arrays. */
export function stateJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isTypedArray(v) ? Array.from(v) : v));
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** Changes from `before` to `after` ({} when equal). Values are JSON; neither is modified. */
export function diffState(before: Readonly<Json>, after: Readonly<Json>): StatePatch {
  const patch: StatePatch = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = { delete: true };
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    if (old === value) continue;
    if (isPlainObject(old) && isPlainObject(value)) {
      const fields = diffFields(old, value);
      if (Object.keys(fields).length > 0) patch[key] = { fields };
    } else if (!sameJson(old, value)) patch[key] = { set: value };
  }
  return patch;
}

function diffFields(before: Json, after: Json): Record<string, FieldPatch> {
  const out: Record<string, FieldPatch> = {};
  for (const field of Object.keys(before)) if (!(field in after)) out[field] = { delete: true };
  for (const [field, value] of Object.entries(after)) {
    const old = before[field];
    if (old === value) continue;
    if ((Array.isArray(old) || isTypedArray(old)) && isFlatList(value)) {
      const ranges = diffArray(old, value);
      if (ranges.length > 0 || old.length !== value.length)
        out[field] = { length: value.length, ranges };
    } else if (!sameJson(old, value)) out[field] = { set: value };
  }
  return out;
}

/** Ranges [start, values] of `after` where it differs from `before` (elements compared with ===). */
function diffArray(
  before: ArrayLike<unknown>,
  after: ArrayLike<unknown>,
): Array<[number, unknown[]]> {
  const slice = (start: number, end: number) =>
    Array.prototype.slice.call(after, start, end) as unknown[];
  const ranges: Array<[number, unknown[]]> = [];
  let start = -1;
  let end = -1; // one past the last differing element of the open run
  for (let i = 0; i < after.length; i++) {
    if (i < before.length && before[i] === after[i]) continue;
    if (start >= 0 && i - end < RANGE_GAP) {
      end = i + 1;
      continue;
    }
    if (start >= 0) ranges.push([start, slice(start, end)]);
    start = i;
    end = i + 1;
  }
  if (start >= 0) ranges.push([start, slice(start, end)]);
  return ranges;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isPrimitive(a) || isPrimitive(b)) return false;
  return stateJson(a) === stateJson(b);
}

/** Apply `patch` to `state` in place (state was just read from disk: nobody else holds it). */
export function applyStatePatch(state: Json, patch: StatePatch): void {
  for (const [key, change] of Object.entries(patch)) {
    if ('delete' in change) delete state[key];
    else if ('set' in change) state[key] = change.set;
    else {
      const target = isPlainObject(state[key]) ? (state[key] as Json) : {};
      for (const [field, fieldChange] of Object.entries(change.fields)) {
        if ('delete' in fieldChange) delete target[field];
        else if ('set' in fieldChange) target[field] = fieldChange.set;
        else {
          const list = Array.isArray(target[field]) ? (target[field] as unknown[]) : [];
          list.length = fieldChange.length;
          for (const [at, values] of fieldChange.ranges)
            for (let i = 0; i < values.length && at + i < list.length; i++)
              list[at + i] = values[i];
          target[field] = list;
        }
      }
      state[key] = target;
    }
  }
}

/** Salons of `after` that are new or differ from `before`, and ids that are gone. */
export function diffSalons(
  before: readonly StoredSalon[],
  after: readonly StoredSalon[],
): PatchFile['salons'] {
  const old = new Map(before.map((s) => [s.id, s]));
  const upsert = after.filter((s) => {
    const was = old.get(s.id);
    return was !== s && !sameJson(was, s);
  });
  const now = new Set(after.map((s) => s.id));
  return { upsert, remove: before.filter((s) => !now.has(s.id)).map((s) => s.id) };
}

/** `salons` with a patch applied, in salon order (`compare`). */
export function applySalonPatch(
  salons: readonly StoredSalon[],
  patch: PatchFile['salons'],
  compare: (a: StoredSalon, b: StoredSalon) => number,
): StoredSalon[] {
  const gone = new Set([...patch.remove, ...patch.upsert.map((s) => s.id)]);
  return salons
    .filter((s) => !gone.has(s.id))
    .concat(patch.upsert)
    .sort(compare);
}
