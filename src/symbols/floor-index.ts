/**
 * Binary search over sorted start addresses, shared by the symbol tables.
 * @module
 */

/** Index of the last of the first `count` entries of ascending `starts` that is at or below `value`, or -1. */
export function floorIndex(starts: ArrayLike<number>, count: number, value: number): number {
  let lo = 0;
  let hi = count - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= value) {
      k = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return k;
}
