// One error type for every failure a user must see: a message for the log and stderr,
// and the exit status the process ends with. Caught once, at the top (cli.ts).
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  protocol: 4,
  tool: 5,
  integrity: 6,
} as const;

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
