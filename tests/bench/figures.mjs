// What the benchmark harnesses share: their numeric options and how they
// summarize and print figures.

/** The number after `--name` on the command line, or `fallback`. @param {string} name @param {number} fallback */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
}

/** @param {number[]} values */
export function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** The value `fraction` of the way up the sorted values (0.95: the 95th percentile). @param {number[]} values @param {number} fraction */
export function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * fraction))];
}

/** @param {number} value milliseconds */
export const ms = (value) => `${value.toFixed(1)} ms`;
