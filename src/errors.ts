// One error type for every failure a user must see: a message for the log and stderr,
// and the exit status the process ends with. Caught once, at the top (cli.ts).

/**
 * Every exit status, with the meaning the man page (EXIT STATUS) and the README give it; a
 * test keeps both documents word for word in step with this table.
 */
export const EXIT_STATUSES = [
  { code: 0, name: 'ok', meaning: 'Success (also for --help and --version).' },
  { code: 1, name: 'failure', meaning: 'Failure: the copy, the backup tool or the server failed (what failed is on standard error and in the log).' },
  { code: 2, name: 'usage', meaning: 'Wrong arguments: an unknown option, command or action, a missing or bad value.' },
  { code: 3, name: 'config', meaning: 'Bad or unreadable settings (the message names file, line and section).' },
  { code: 4, name: 'protocol', meaning: 'Protocol error: the peer broke off or sent something unexpected.' },
  { code: 5, name: 'tool', meaning: 'The backup tool needed (prepare, restore, verify) is missing here or cannot handle this backup.' },
  { code: 6, name: 'integrity', meaning: 'Integrity check failed: byte count, checksum or the final status of the stream.' },
] as const;

type ExitName = (typeof EXIT_STATUSES)[number]['name'];

export const ExitCode = Object.fromEntries(EXIT_STATUSES.map((s) => [s.name, s.code])) as {
  readonly [N in ExitName]: Extract<(typeof EXIT_STATUSES)[number], { name: N }>['code'];
};

export class ExitError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

export class ProtocolError extends ExitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.protocol, options);
    this.name = 'ProtocolError';
  }
}

export class IntegrityError extends ExitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.integrity, options);
    this.name = 'IntegrityError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
