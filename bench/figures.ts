/** Runs `once` for `warm + n` indices one after another; returns the last n durations in ms. */
export async function timed(n: number, warm: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < warm + n; i++) {
    const start = performance.now();
    await once(i);
    if (i >= warm) durations.push(performance.now() - start);
  }
  return durations;
}

/** `p50 … ms  p99 … ms  max … ms` of durations in ms. */
export function summary(durations: readonly number[], digits = 2): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const ms = (v: number) => `${v.toFixed(digits)} ms`.padStart(7 + digits);
  return `p50 ${ms(at(0.5))}  p99 ${ms(at(0.99))}  max ${ms(at(1))}`;
}
