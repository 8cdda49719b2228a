/**
 * The store's vectors, one float32 row per HNSW label, read from the store's
 * vectors files when asked instead of held in memory. hnswlib keeps its own copy
 * for the graph search; a second copy in the process made the lens 2.2× a bare
 * HNSW index at 100k. Reads come from the OS page cache (not process memory) and
 * return the saved bytes exactly, so exact scores do not change. Rows written since
 * the last save stay in memory until the save puts them in a file (`rebase`).
 *
 * A small store's files are the exception: when they fit RESIDENT_BYTES, the first
 * read loads them whole (the same bytes) and later reads are memory copies. The
 * default text search reads ~23 rows a query (fused-search.ts), and a system call
 * per row was a fifth of its time at 20k items; at 100k and beyond nothing changes.
 *
 *   const rows = VectorRows.open(dir, manifest);
 *   const v = rows.row(label);                        // a fresh Float32Array
 *   const s = rows.dot(label, q);                     // = dot(q, row), no copy
 *   rows.scan(sortedLabels, (label, view) => ...);   // batched reads in label order
 *
 * File descriptors stay open until `close` (a writer may delete the files of an
 * older generation meanwhile: an open descriptor still reads them).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { dotAt } from '../seam.js';
import type { Manifest } from './manifest.js';

/** Rows read per system call when scanning (1 MiB at 512 dimensions). */
const SCAN_ROWS = 512;
/** A gap of up to this many unwanted rows is read through rather than skipped. */
const READ_THROUGH = 8;
/**
 * Saved rows up to this size are held in memory once read (64 MiB: 32k rows of 512
 * float32, the size of the graph hnswlib holds for them anyway).
 */
export const RESIDENT_BYTES = 64 * 1024 * 1024;

interface RowFile {
  fd: number;
  firstLabel: number;
  labelCount: number;
}

/** Descriptors of stores dropped without close(): closed when collected. */
const orphanFiles = new FinalizationRegistry<RowFile[]>((files) => closeAll(files));

export class VectorRows {
  readonly dim: number;
  #files: RowFile[] = [];
  /** Rows from label `#tailFrom` on, not yet in a file (capacity grows with `reserve`). */
  #tail = new Float32Array(0);
  #tailFrom = 0;
  /** Rows below `#tailFrom` changed since the last save: a new vector, or null (removed). */
  #changed = new Map<number, Float32Array | null>();
  #scratch: Float32Array | undefined;
  /** Offset of the row #locate found, in the array it returned. */
  #at = 0;
  /** Rows below `#tailFrom` as saved, when they fit `#residentBytes` and were read once. */
  #resident: Float32Array | undefined;
  #residentBytes: number;

  private constructor(dim: number, residentBytes = RESIDENT_BYTES) {
    this.dim = dim;
    this.#residentBytes = residentBytes;
  }

  /** No rows yet (a new store). */
  static empty(dim: number): VectorRows {
    return new VectorRows(dim);
  }

  /**
   * The rows of a saved generation: its base vectors file and every appended
   * segment. The caller has checked the files' sizes and checksums; ENOENT from a
   * file removed since is thrown as is.
   */
  static open(
    dir: string,
    manifest: Pick<Manifest, 'files' | 'delta' | 'embedder'>,
    options: { residentBytes?: number } = {},
  ): VectorRows {
    const rows = new VectorRows(manifest.embedder.dim, options.residentBytes);
    rows.#files = openFiles(dir, manifest);
    rows.#tailFrom = labelsIn(rows.#files);
    orphanFiles.register(rows, rows.#files, rows);
    return rows;
  }

  /**
   * After a save: read the rows from that generation's files from now on and drop
   * the ones held in memory. If a file cannot be opened, the rows stay in memory
   * (still correct) and the error is thrown.
   */
  rebase(dir: string, manifest: Pick<Manifest, 'files' | 'delta' | 'embedder'>): void {
    const files = openFiles(dir, manifest);
    this.close();
    this.#files = files;
    this.#resident = undefined;
    this.#tailFrom = labelsIn(files);
    this.#tail = new Float32Array(0);
    this.#changed.clear();
    orphanFiles.register(this, files, this);
  }

  /** Make room for rows up to `labels` (grows, never shrinks). */
  reserve(labels: number): void {
    const need = (labels - this.#tailFrom) * this.dim;
    if (need <= this.#tail.length) return;
    const grown = new Float32Array(need);
    grown.set(this.#tail);
    this.#tail = grown;
  }

  /** Store `vector` (copied) as row `label`; `reserve` first for labels past the files. */
  set(label: number, vector: Float32Array): void {
    if (label >= this.#tailFrom) this.#tail.set(vector, (label - this.#tailFrom) * this.dim);
    else this.#changed.set(label, vector.slice());
  }

  /** Row `label` is removed: zeros from now on (what a full save writes for it). */
  clear(label: number): void {
    if (label >= this.#tailFrom) {
      const at = (label - this.#tailFrom) * this.dim;
      this.#tail.fill(0, at, at + this.dim);
    } else this.#changed.set(label, null);
  }

  /** Row `label` as a new array. */
  row(label: number): Float32Array {
    const out = new Float32Array(this.dim);
    this.#readRow(label, out);
    return out;
  }

  /** dot(q, row `label`), summed as `dot` sums it, without copying the row out of memory. */
  dot(label: number, q: Float32Array): number {
    const rows = this.#locate(label);
    return rows ? dotAt(q, rows, this.#at) : 0;
  }

  /** out += weight × row `label`, without copying the row out of memory. */
  addTo(out: Float32Array, label: number, weight: number): void {
    const rows = this.#locate(label);
    if (!rows) return;
    const at = this.#at;
    for (let d = 0; d < this.dim; d++) (out[d] as number) += weight * (rows[at + d] as number);
  }

  /**
   * The array holding row `label` (a changed row, the unsaved tail, the resident
   * rows, else scratch space it was read into, valid until the next read), its
   * offset left in #at (no object per row: the fused re-score asks for a dozen a
   * query); undefined: the row was removed.
   */
  #locate(label: number): Float32Array | undefined {
    this.#at = 0;
    const changed = this.#changed.get(label);
    if (changed !== undefined) return changed ?? undefined;
    if (label >= this.#tailFrom) {
      const at = (label - this.#tailFrom) * this.dim;
      if (at + this.dim <= this.#tail.length) {
        this.#at = at;
        return this.#tail;
      }
    } else {
      const resident = this.#residentRows();
      if (resident) {
        this.#at = label * this.dim;
        return resident;
      }
    }
    this.#scratch ??= new Float32Array(SCAN_ROWS * this.dim);
    const single = this.#scratch.subarray(0, this.dim);
    this.#readRow(label, single);
    return single;
  }

  /**
   * Call `visit` for each label of `labels` (ascending), with a view of its row that
   * is valid only during the call. Neighbouring rows are read with one system call.
   */
  scan(labels: ArrayLike<number>, visit: (label: number, row: Float32Array) => void): void {
    const dim = this.dim;
    this.#scratch ??= new Float32Array(SCAN_ROWS * dim);
    const scratch = this.#scratch;
    const bytes = new Uint8Array(scratch.buffer);
    const single = new Float32Array(scratch.buffer, 0, dim);
    const resident = this.#residentRows();
    for (let i = 0; i < labels.length; ) {
      const first = labels[i] as number;
      if (resident && first < this.#tailFrom && !this.#changed.has(first)) {
        visit(first, resident.subarray(first * dim, (first + 1) * dim));
        i++;
        continue;
      }
      const file = this.#changed.has(first) ? undefined : this.#fileOf(first);
      if (!file) {
        // Held in memory: one row at a time.
        this.#readRow(first, single);
        visit(first, single);
        i++;
        continue;
      }
      // A run of labels in this file, gaps of a few rows read through.
      const end = Math.min(file.firstLabel + file.labelCount, first + SCAN_ROWS);
      let j = i + 1;
      while (j < labels.length) {
        const next = labels[j] as number;
        if (next >= end || next - (labels[j - 1] as number) > READ_THROUGH) break;
        if (this.#changed.has(next)) break;
        j++;
      }
      const last = labels[j - 1] as number;
      readFully(file, bytes, (last - first + 1) * dim * 4, (first - file.firstLabel) * dim * 4);
      for (let r = i; r < j; r++) {
        const at = ((labels[r] as number) - first) * dim;
        visit(labels[r] as number, scratch.subarray(at, at + dim));
      }
      i = j;
    }
  }

  /** Rows `from` .. `to` − 1 as bytes, for a save (a view of memory where possible). */
  bytes(from: number, to: number): Uint8Array {
    const rowBytes = this.dim * 4;
    if (from >= this.#tailFrom && this.#changed.size === 0) {
      const at = (from - this.#tailFrom) * rowBytes;
      return new Uint8Array(this.#tail.buffer, at, (to - from) * rowBytes);
    }
    const out = new Float32Array((to - from) * this.dim);
    const labels = new Int32Array(to - from);
    for (let l = from; l < to; l++) labels[l - from] = l;
    this.scan(labels, (label, row) => out.set(row, (label - from) * this.dim));
    return new Uint8Array(out.buffer);
  }

  /** Close the files (rows held in memory stay readable). */
  close(): void {
    orphanFiles.unregister(this);
    closeAll(this.#files);
    this.#files = [];
    this.#resident = undefined;
  }

  /** The saved rows in memory: loaded whole on first use if they fit the budget, else undefined. */
  #residentRows(): Float32Array | undefined {
    if (this.#resident || this.#files.length === 0) return this.#resident;
    const length = this.#tailFrom * this.dim;
    if (length * 4 > this.#residentBytes) return undefined;
    const rows = new Float32Array(length);
    const bytes = new Uint8Array(rows.buffer);
    for (const file of this.#files) {
      const at = file.firstLabel * this.dim * 4;
      readFully(file, bytes.subarray(at), file.labelCount * this.dim * 4, 0);
    }
    this.#resident = rows;
    return rows;
  }

  #fileOf(label: number): RowFile | undefined {
    if (label >= this.#tailFrom) return undefined;
    for (const file of this.#files) {
      if (label < file.firstLabel + file.labelCount) return file;
    }
    return undefined;
  }

  #readRow(label: number, into: Float32Array): void {
    const changed = this.#changed.get(label);
    if (changed !== undefined) {
      if (changed === null) into.fill(0);
      else into.set(changed);
      return;
    }
    const resident = label < this.#tailFrom ? this.#residentRows() : undefined;
    if (resident) {
      into.set(resident.subarray(label * this.dim, (label + 1) * this.dim));
      return;
    }
    const file = this.#fileOf(label);
    if (file) {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, this.dim * 4);
      readFully(file, bytes, bytes.length, (label - file.firstLabel) * this.dim * 4);
      return;
    }
    const at = (label - this.#tailFrom) * this.dim;
    // Below the tail without a file: the files were closed (the store is closed).
    if (at < 0 || at + this.dim > this.#tail.length) throw new RangeError(`no vector row ${label}`);
    into.set(this.#tail.subarray(at, at + this.dim));
  }
}

function openFiles(
  dir: string,
  manifest: Pick<Manifest, 'files' | 'delta' | 'embedder'>,
): RowFile[] {
  const rowBytes = manifest.embedder.dim * 4;
  const segments = [
    {
      name: manifest.files.vectors.name,
      firstLabel: 0,
      labelCount: manifest.files.vectors.bytes / rowBytes,
    },
    ...manifest.delta.map((s) => ({
      name: s.vectors.name,
      firstLabel: s.firstLabel,
      labelCount: s.labelCount,
    })),
  ];
  const files: RowFile[] = [];
  try {
    for (const s of segments) {
      if (s.labelCount === 0) continue;
      files.push({
        fd: openSync(path.join(dir, s.name), 'r'),
        firstLabel: s.firstLabel,
        labelCount: s.labelCount,
      });
    }
  } catch (error) {
    closeAll(files);
    throw error;
  }
  return files;
}

function labelsIn(files: readonly RowFile[]): number {
  const last = files.at(-1);
  return last ? last.firstLabel + last.labelCount : 0;
}

function closeAll(files: readonly RowFile[]): void {
  for (const file of files) {
    try {
      closeSync(file.fd);
    } catch {
      // already closed
    }
  }
}

function readFully(file: RowFile, into: Uint8Array, length: number, position: number): void {
  for (let done = 0; done < length; ) {
    const n = readSync(file.fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`vectors file ended at byte ${position + done}`);
    done += n;
  }
}
