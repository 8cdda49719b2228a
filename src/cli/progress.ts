/**
 * Progress of long commands, on stderr (stdout stays clean for `--json`): a bar on a
 * terminal; otherwise (CI, pipes, log files) one line when a stage starts, every few
 * seconds while it runs, and when it finishes, with done/total and the rate.
 * `--quiet` silences both.
 *
 *   const progress = createProgress('index', { quiet: flags.quiet });
 *   await lens.add(salons, { onProgress: progress.update });
 *   progress.stop();
 */
import cliProgress from 'cli-progress';

export interface ProgressEvent {
  done: number;
  total: number;
  stage?: string;
}

export interface Progress {
  update(event: ProgressEvent): void;
  stop(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Seconds between lines when stderr is not a terminal. @default 5 */
  intervalSeconds?: number;
  stream?: NodeJS.WriteStream;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** What each stage counts, so a line reads "embed 120/390 items". */
const UNITS: Record<string, string> = {
  parse: 'documents',
  embed: 'items',
  index: 'items',
  statistics: 'items',
  save: 'files',
};

export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => {}, stop: () => {} };
  return stream.isTTY === true ? progressBar(label, stream) : progressLines(label, stream, options);
}

function progressBar(label: string, stream: NodeJS.WriteStream): Progress {
  let bar: cliProgress.SingleBar | undefined;
  const payload = (e: ProgressEvent) => ({
    stage: (e.stage ?? '').padEnd(6),
    unit: UNITS[e.stage ?? ''] ?? '',
  });
  return {
    update(event) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} {stage} [{bar}] {value}/{total} {unit}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, event.done, payload(event));
      }
      bar.setTotal(event.total);
      bar.update(event.done, payload(event));
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function progressLines(
  label: string,
  stream: NodeJS.WriteStream,
  options: ProgressOptions,
): Progress {
  const now = options.now ?? Date.now;
  const interval = (options.intervalSeconds ?? 5) * 1000;
  let started: number | undefined;
  let stage: string | undefined;
  let stageStart = 0;
  let doneAtStart = 0;
  let lastLine = 0;
  let last: ProgressEvent | undefined;
  let lastPrinted: ProgressEvent | undefined;

  const print = (event: ProgressEvent, t: number) => {
    const unit = UNITS[event.stage ?? ''];
    const inStage = (t - stageStart) / 1000;
    const rate =
      inStage >= 0.5 && event.done > doneAtStart
        ? `, ${formatRate((event.done - doneAtStart) / inStage)}/s`
        : '';
    const elapsed = (t - (started ?? t)) / 1000;
    stream.write(
      `salon-lens ${label}: ${event.stage ?? 'working'} ${event.done}/${event.total}` +
        `${unit ? ` ${unit}` : ''}${rate} (${elapsed.toFixed(1)} s)\n`,
    );
    lastLine = t;
    lastPrinted = event;
  };

  return {
    update(event) {
      const t = now();
      started ??= t;
      if (event.stage !== stage) {
        // Close the previous stage with its final count if that was not printed yet.
        if (last && last !== lastPrinted) print(last, t);
        stage = event.stage;
        stageStart = t;
        doneAtStart = event.done;
        last = event;
        print(event, t);
        return;
      }
      last = event;
      const repeat = lastPrinted?.done === event.done && lastPrinted.total === event.total;
      if (repeat) lastPrinted = event;
      else if (event.done >= event.total || t - lastLine >= interval) print(event, t);
    },
    stop() {
      if (last && last !== lastPrinted) print(last, now());
      last = undefined;
    },
  };
}

function formatRate(perSecond: number): string {
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
