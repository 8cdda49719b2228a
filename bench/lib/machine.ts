/**
 * The machine a bench ran on, recorded next to every result: shared 2-core boxes are
 * noisy, so a figure is only comparable with others from the same machine and load.
 *
 *   const machine = machineInfo(); // { cores, cpu, memoryGiB, node, platform, loadAverage }
 */
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1/5/15-minute load averages when the record was taken: above `cores` means contention. */
  loadAverage: number[];
  date: string;
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** One line for the top of a Markdown report. */
export function describeMachine(m: MachineInfo): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAverage.join(' / ')}; ${m.date.slice(0, 16)}Z`;
}
