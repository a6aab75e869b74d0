import { ExitCode, ExitError } from '../errors.js';

/** Why a verify failed: the step, what happened, and what it means for the backup. */
export class VerifyFailure extends ExitError {
  readonly step: string;
  readonly meaning: string;
  constructor(step: string, message: string, meaning: string, exitCode: number = ExitCode.integrity) {
    super(message, exitCode);
    this.name = 'VerifyFailure';
    this.step = step;
    this.meaning = meaning;
  }
}
