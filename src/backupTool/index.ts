export type { Credentials, RunningBackup, ToolResult } from './types.js';
export { buildToolArgv, formatOf, type ToolArgv, type ToolPaths } from './argv.js';
export { optionFileText, quoteOptionValue, writeOptionFile } from './optionFile.js';
export { endsCompletedOk, judgeResult, lastErrorLine, type ToolExit } from './result.js';
export { StderrLog } from './stderrLog.js';
export { KILL_GRACE_MS, startBackup } from './run.js';
