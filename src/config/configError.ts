import { ExitCode, ExitError } from '../errors.js';

/** One mistake in a settings file: where it is, and what is wrong. */
export interface ConfigProblem {
  file: string;
  /** 1-based; absent for a problem with the file as a whole. */
  line?: number | undefined;
  section?: string | undefined;
  message: string;
}

function describeProblem(p: ConfigProblem): string {
  const where = !p.line ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.section === undefined ? '' : `[${p.section}] `}${p.message}`;
}

/** Every mistake found in the settings, one per line; exit status 3 (config). */
export class ConfigError extends ExitError {
  readonly problems: readonly ConfigProblem[];
  /** The server log the files asked for, as far as they could be read (to report this error in). */
  serverLog: string | undefined;
  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown; serverLog?: string | undefined }) {
    super(problems.map(describeProblem).join('\n'), ExitCode.config, options);
    this.name = 'ConfigError';
    this.problems = problems;
    this.serverLog = options?.serverLog;
  }
}

/** A settings file that could not be read at all (a named file missing, no permission). */
export class ConfigReadError extends ConfigError {
  constructor(file: string, cause: Error) {
    super([{ file, message: `cannot read config: ${cause.message}` }], { cause });
    this.name = 'ConfigReadError';
  }
}
