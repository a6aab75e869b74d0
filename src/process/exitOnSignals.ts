// A default SIGTERM/SIGINT/SIGHUP death skips the process's 'exit' hooks (stopping the backup
// tool, removing a half-received stream). Exiting through process.exit runs them.

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** On SIGHUP, SIGINT or SIGTERM: `say(name)`, then exit 128 + the signal's number, 'exit' hooks run. */
export function exitOnSignals(say: (name: string) => void = () => undefined): void {
  for (const [name, number] of Object.entries(SIGNALS)) {
    process.once(name, () => {
      say(name);
      process.exit(128 + number);
    });
  }
}
