// The tool's stderr, cut into lines as it arrives: each line is logged at once and the last
// few are kept for the result message. Nothing is ever held whole, so megabytes of log cost
// nothing and the pipe never fills.

/** Longest line kept in one piece; a longer one is logged in slices of this size. */
export const MAX_LINE = 8192;

export class StderrLog {
  private partial = '';
  private readonly tail: string[] = [];

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly keep = 20,
  ) {}

  push(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.emit(this.partial + text.slice(start, nl));
      this.partial = '';
      start = nl + 1;
    }
    this.partial += text.slice(start);
    while (this.partial.length > MAX_LINE) {
      this.emit(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  /** Call at end of stream: a last line without a newline still counts. */
  end(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }

  /** The last non-empty lines, oldest first. */
  lastLines(): readonly string[] {
    return this.tail;
  }

  private emit(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    this.onLine(line);
    this.tail.push(line);
    if (this.tail.length > this.keep) this.tail.shift();
  }
}
