// What the code logs through, whichever logger is behind it: winston's (the socket server and
// the CLI, logger.ts) or the plain file logger of the short plugin calls (plainLogger.ts).
// Nothing here loads winston: a snapshot plugin call must not pay for it.

/** One method a level; each message is one line of text. */
export interface Logger {
  error(message: string): unknown;
  warn(message: string): unknown;
  info(message: string): unknown;
  debug(message: string): unknown;
}

interface LearnsSecrets {
  addSecret?: (secret: string) => void;
}

/** Masks `secret` in every line logged from now on (both loggers support it). */
export function addSecret(logger: Logger, secret: string): void {
  (logger as Logger & LearnsSecrets).addSecret?.(secret);
}
