/** Percentiles and the machine line every figure is printed with. */
import { cpus, loadavg } from "node:os";

/** Nearest-rank percentile of `values` (ms); NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const ms = (v: number) => (Number.isNaN(v) ? "n/a" : `${v.toFixed(0)} ms`);

export function p50p99(values: number[]): string {
  return `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))} (n=${values.length})`;
}

export function machine(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? "unknown CPU"}, ${list.length} cores, node ${process.version}, ${process.platform}`;
}

/** The 1, 5 and 15-minute load averages: other work on the machine moves every figure. */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}
