// Statistics and number formatting for the benchmark's tables: percentiles (linear
// interpolation between closest ranks, numpy's default), medians, and fixed-width numbers.

/** The p-th percentile (p in [0, 100]) of the finite numbers in xs, or null when there are none. */
export function percentile(xs, p) {
  const a = xs.filter(Number.isFinite).sort((x, y) => x - y);
  if (a.length === 0) return null;
  const rank = (p / 100) * (a.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return a[lo] + (a[hi] - a[lo]) * (rank - lo);
}

export const median = (xs) => percentile(xs, 50);

/** Rounds to two decimals for the JSON output (null stays null). */
export const round2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

/** A number for a table cell: one decimal below 100, none above; '-' for missing values. */
export function fmt(x) {
  if (!Number.isFinite(x)) return '-';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}
