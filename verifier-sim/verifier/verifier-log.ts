/**
 * The verifier log as the kernel builds it (kernel/bpf/log.c): text appended piece by piece,
 * with a position that can be saved when a branch is pushed and restored when it is popped
 * (`bpf_vlog_reset`), which is how a level-1 log ends up holding only the failing path.
 * @module
 */

/** An append-only text buffer with rewind. */
export class VerifierLog {
  /** 0, 1 or 2; nothing is recorded at 0. */
  readonly level: number;
  private parts: string[] = [];
  private length = 0;

  constructor(level: number) {
    this.level = level;
  }

  /** Whether anything is recorded. */
  get enabled(): boolean {
    return this.level > 0;
  }

  /** Appends text (the kernel's `verbose()`). */
  write(text: string): void {
    if (this.level === 0) return;
    this.parts.push(text);
    this.length += text.length;
  }

  /** The current end position (`log->end_pos`). */
  get position(): number {
    return this.length;
  }

  /** Truncates the log back to `pos` (`bpf_vlog_reset`); cheap when `pos` is near the end. */
  reset(pos: number): void {
    if (this.level === 0 || pos >= this.length) return;
    while (this.parts.length > 0 && this.length - this.parts[this.parts.length - 1].length >= pos) {
      this.length -= (this.parts.pop() as string).length;
    }
    if (this.length > pos) {
      const last = this.parts.pop() as string;
      const keep = last.slice(0, last.length - (this.length - pos));
      this.parts.push(keep);
      this.length = pos;
    }
  }

  /** The whole log. */
  toString(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }
}
