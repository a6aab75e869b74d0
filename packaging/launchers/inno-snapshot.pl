#!/usr/bin/node
// MySQL ZRM plugin launcher: ZRM configs and xinetd name this file. The program lives in one
// bundled file and looks at the name of the file Node was started with (process.argv[1]):
// started as inno-snapshot.pl, it behaves as that plugin.
// Node 22 and later can keep the bundle's compiled code between runs (module.enableCompileCache):
// a plugin call then skips parsing it. Compiled code found in the cache is run as it is, so the
// cache is only used in a directory no one but this user (or root) can write: root's under
// /var/cache, the run user's in the state directory the package made for it (never /tmp).
'use strict';
const CACHE_PARENT = { root: '/var/cache', user: '/var/lib/mysql-zrm-innobackupex' };
function useCompileCache() {
  const { enableCompileCache } = require('node:module');
  if (typeof enableCompileCache !== 'function') return;
  const { lstatSync, mkdirSync } = require('node:fs');
  const uid = process.getuid();
  const parent = uid === 0 ? CACHE_PARENT.root : CACHE_PARENT.user;
  const dir = `${parent}/${uid === 0 ? 'mysql-zrm-innobackupex' : 'compile-cache'}`;
  const safe = (path, owners, mask) => {
    const st = lstatSync(path);
    return st.isDirectory() && owners.includes(st.uid) && (st.mode & mask) === 0;
  };
  if (!safe(parent, [0, uid], 0o022)) return;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (err.code !== 'EEXIST') return;
  }
  if (safe(dir, [uid], 0o077)) enableCompileCache(dir);
}
try {
  useCompileCache();
} catch {
  // No cache: the program only starts a little slower.
}
import('/usr/lib/mysql-zrm-innobackupex/zrm-innobackupex.mjs');
