// Small statistics and formatting helpers for the benchmark: medians with min–max.

/**
 * @typedef {object} Summary
 * @property {number} n        how many samples
 * @property {number} median
 * @property {number} min
 * @property {number} max
 */

/**
 * Median, min and max of the samples (NaN for none).
 * @param {number[]} samples
 * @returns {Summary}
 */
export function summarize(samples) {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

/**
 * A number with a precision that suits its size: 3.42, 34.2, 342.
 * @param {number} x
 * @returns {string}
 */
export function num(x) {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * "median (min–max)" with a unit after the median.
 * @param {number[]} samples
 * @param {string} [unit]
 * @returns {string}
 */
export function cell(samples, unit = '') {
  const s = summarize(samples);
  if (s.n === 0) return 'n/a';
  if (s.n === 1) return `${num(s.median)}${unit}`;
  return `${num(s.median)}${unit} (${num(s.min)}–${num(s.max)})`;
}

/**
 * Ratio of two medians, as "0.52×".
 * @param {number[]} a
 * @param {number[]} b
 * @returns {number}
 */
export function ratio(a, b) {
  return summarize(a).median / summarize(b).median;
}

/**
 * Ratios a[i] / b[i] of samples taken in the same round: less sensitive to a
 * machine whose load drifts during the run than the ratio of the medians.
 * @param {number[]} a
 * @param {number[]} b
 * @returns {Summary}
 */
export function pairedRatio(a, b) {
  const n = Math.min(a.length, b.length);
  return summarize(Array.from({ length: n }, (_, i) => a[i] / b[i]));
}

/**
 * @param {number} r
 * @returns {string}
 */
export function fmtRatio(r) {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

/**
 * @param {number} bytes
 * @returns {string}
 */
export function mb(bytes) {
  return Number.isFinite(bytes) ? `${num(bytes / 1024 / 1024)} MB` : '–';
}

/**
 * A Markdown table.
 * @param {string[]} head
 * @param {string[][]} rows
 * @returns {string}
 */
export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
