// A Node built-in loaded on first use instead of at start-up: every plugin call reads the
// settings, and a built-in such as net or zlib (with the stream modules they load) costs a few
// ms of a call that never uses it (test/integration/pluginStartup.test.ts).
import { createRequire } from 'node:module';

/** A getter for the built-in `name` that requires it on its first call. */
export function lazyBuiltin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined;
  // A require of a built-in does not depend on the path it is made for.
  return () => (loaded ??= createRequire(process.execPath)(name) as T);
}
