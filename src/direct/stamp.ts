// The name of one direct backup's directory: its start time in UTC, sortable, without colons
// (which some tools and file systems mishandle), e.g. 2026-11-29T17-30-00Z.
export function backupDirName(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}
