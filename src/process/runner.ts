// The process runner, passed in (the zx/changesets way): contexts carry an optional `run`, and
// absent it is execa. A unit test hands in its own runner and sees the argv and environment a
// program would get, without the program; the integration tests keep the real ones.
import type { execa } from 'execa';

export type Runner = typeof execa;
