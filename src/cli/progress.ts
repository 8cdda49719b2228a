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

/**
 * One progress event for every stage (parse, embed, index, statistics, save, cluster
 * with its phase, similar, render…): the library's callbacks all fit it.
 */
export interface ProgressEvent {
  done: number;
  total: number;
  stage?: string;
  /** A step inside the stage, e.g. the cluster stage's 'select-k'. */
  phase?: string;
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
  /** Clock in ms, for tests (the bar's rate and time left, the lines' times). */
  now?: () => number;
}

/** What each stage counts, so a line reads "embed 120/390 items". */
const UNITS: Record<string, string> = {
  parse: 'documents',
  embed: 'items',
  index: 'items',
  statistics: 'items',
  save: 'files',
  similar: 'questions',
};

/** "cluster select-k" for an event with a phase, else its stage. */
function stageName(event: ProgressEvent): string | undefined {
  return event.phase ? `${event.stage ?? ''} ${event.phase}` : event.stage;
}

export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => {}, stop: () => {} };
  return stream.isTTY === true
    ? progressBar(label, stream, options)
    : progressLines(label, stream, options);
}

/**
 * One bar per stage (a stage's bar stays on screen when the next starts, so counts of
 * different stages never share one bar), with its rate and the time left at that rate.
 * Rate and time left are the stage's own average (not cli-progress's ETA, which says
 * "0s" before anything is done and garbage for a bar that ends at once).
 */
function progressBar(
  label: string,
  stream: NodeJS.WriteStream,
  options: ProgressOptions,
): Progress {
  const now = options.now ?? Date.now;
  let bar: cliProgress.SingleBar | undefined;
  let current: string | undefined;
  let started = 0;
  let doneAtStart = 0;
  const payload = (e: ProgressEvent) => {
    const seconds = (now() - started) / 1000;
    const rate = seconds >= 0.5 && e.done > doneAtStart ? (e.done - doneAtStart) / seconds : 0;
    const unit = UNITS[e.stage ?? ''];
    return {
      stage: (stageName(e) ?? '').padEnd(6),
      unit: unit ? ` ${unit}` : '',
      rate: rate > 0 ? `, ${formatRate(rate)}/s` : '',
      left:
        rate > 0 && e.done < e.total ? ` · ${formatDuration((e.total - e.done) / rate)} left` : '',
    };
  };
  return {
    update(event) {
      const name = stageName(event);
      if (bar && name !== current) {
        bar.stop();
        bar = undefined;
      }
      if (!bar) {
        current = name;
        started = now();
        doneAtStart = event.done;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} {stage} [{bar}] {value}/{total}{unit}{rate}{left}`,
            hideCursor: true,
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
      current = undefined;
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
      `salon-lens ${label}: ${stageName(event) ?? 'working'} ${event.done}/${event.total}` +
        `${unit ? ` ${unit}` : ''}${rate} (${elapsed.toFixed(1)} s)\n`,
    );
    lastLine = t;
    lastPrinted = event;
  };

  return {
    update(event) {
      const t = now();
      started ??= t;
      if (stageName(event) !== stage) {
        // Close the previous stage with its final count if that was not printed yet.
        if (last && last !== lastPrinted) print(last, t);
        stage = stageName(event);
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

/** "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "120", "4.5", "0.03" (a slow stage's rate is not rounded to "0.0"). */
function formatRate(perSecond: number): string {
  if (perSecond >= 10) return String(Math.round(perSecond));
  return perSecond >= 1 ? perSecond.toFixed(1) : String(Number(perSecond.toPrecision(1)));
}
