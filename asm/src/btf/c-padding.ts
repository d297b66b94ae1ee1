/**
 * Unnamed-bitfield padding of the C dump: what makes a struct's members land at their recorded
 * offsets when natural alignment alone would not.
 * @module
 */

/** Unnamed-bitfield padding lines before a gap is filled with a `char __pad_N[…]` array. */
const MAX_PAD_LINES = 64;

const PAD_TYPES: readonly [number, string][] = [[64, 'long'], [32, 'int'], [16, 'short'], [8, 'char']];

/**
 * Unnamed bitfields from `cur` to `next` bits, when the compiler's natural placement would not
 * put the next member there. Picks the widest unit (long, int, short, char) whose next boundary
 * does not pass `next`: first a bitfield up to that boundary (it stays inside one unit), then
 * whole units, then the remainder in the narrowest type that holds it. Unnamed bitfields do not
 * change a struct's alignment, so only the offsets move.
 * Appends the lines (each starting with `ind`) to `lines`.
 */
export function paddingLines(lines: string[], ind: string, cur: number, next: number, align: number, bitfield: boolean, packed: boolean): void {
  if (cur >= next) return;
  if (!bitfield && Math.ceil(cur / (align * 8)) * align * 8 === next) return;
  let unit = 8;
  let type = 'char';
  for (const [bits, name] of PAD_TYPES) {
    if (Math.ceil(cur / bits) * bits <= next) {
      unit = bits;
      type = name;
      break;
    }
  }
  const boundary = Math.ceil(cur / unit) * unit;
  if (boundary > next) {
    // Less than a char's boundary away: a sub-byte bitfield closes it.
    lines.push(`${ind}char: ${next - cur};`);
    return;
  }
  const whole = Math.floor((next - boundary) / unit);
  // Outside packed structs a whole-unit bitfield cannot straddle a unit boundary, so the first
  // one already skips to the boundary (as libbpf relies on); packed structs need it spelled out.
  if (boundary > cur && (packed || whole === 0)) lines.push(`${ind}${type}: ${boundary - cur};`);
  cur = boundary;
  if (whole > MAX_PAD_LINES) {
    // A gap this wide is a byte array rather than thousands of `long: 64;` lines.
    lines.push(`${ind}char __pad_${cur / 8}[${(whole * unit) / 8}];`);
    cur += whole * unit;
  } else {
    for (let n = 0; n < whole; n++) lines.push(`${ind}${type}: ${unit};`);
    cur += whole * unit;
  }
  const rest = next - cur;
  if (rest > 0) lines.push(`${ind}${PAD_TYPES.slice().reverse().find(([bits]) => bits >= rest)![1]}: ${rest};`);
}

