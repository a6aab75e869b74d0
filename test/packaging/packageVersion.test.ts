import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withTempDir } from '../helpers/tempDir.js';

// scripts/package-version.sh: a build of an unreleased tree sorts after the last release and
// before the next, for dpkg and for rpm, and later builds after earlier ones; a tagged tree is
// its tag.
const SCRIPT = fileURLToPath(new URL('../../../scripts/package-version.sh', import.meta.url));

/** A git repository with package.json at `last` and the script, one commit. */
async function tree(dir: string, last: string): Promise<void> {
  await mkdir(join(dir, 'scripts'));
  await copyFile(SCRIPT, join(dir, 'scripts/package-version.sh'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: last }));
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir });
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-q', '-m', 'one');
}

async function version(dir: string, env: Record<string, string> = {}, deb = false): Promise<string> {
  const r = await execa('bash', [join(dir, 'scripts/package-version.sh'), ...(deb ? ['--deb'] : [])], { env });
  return r.stdout;
}

/** dpkg's verdict on `a OP b`. */
async function dpkgHolds(a: string, op: 'lt' | 'gt', b: string): Promise<boolean> {
  return (await execa('dpkg', ['--compare-versions', a, op, b], { reject: false })).exitCode === 0;
}

/** rpm's own comparison (rpmvercmp through rpm's Lua): -1, 0 or 1. */
async function rpmCompare(a: string, b: string): Promise<number> {
  const r = await execa('rpm', ['--eval', `%{lua: print(rpm.vercmp("${a}", "${b}"))}`]);
  return Number(r.stdout.trim());
}

test('an unreleased tree builds <next minor>~dev.<minute>.g<commit>, between the releases for dpkg and rpm', async () => {
  await withTempDir('zrm-pkgver-', async (dir) => {
    await tree(dir, '2.0.0');
    const commit = (await execa('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: dir })).stdout;
    const early = await version(dir, { SOURCE_DATE_EPOCH: '1795000000' }, true);
    const late = await version(dir, { SOURCE_DATE_EPOCH: '1795000060' }, true);
    assert.equal(early, `2.1.0~dev.202611181106.g${commit}`);
    assert.equal(await version(dir, { SOURCE_DATE_EPOCH: '1795000000' }), `2.1.0-dev.202611181106.g${commit}`);
    for (const [lower, higher] of [['2.0.0', early], [early, late], [late, '2.1.0']] as const) {
      assert.ok(await dpkgHolds(lower, 'lt', higher), `dpkg: ${lower} < ${higher}`);
      assert.ok(!(await dpkgHolds(higher, 'lt', lower)), `dpkg: not ${higher} < ${lower}`);
      assert.equal(await rpmCompare(lower, higher), -1, `rpm: ${lower} < ${higher}`);
    }
  });
});

test('a tree tagged vX.Y.Z builds X.Y.Z; a tag package.json does not match is refused', async () => {
  await withTempDir('zrm-pkgver-', async (dir) => {
    await tree(dir, '2.1.0');
    await execa('git', ['tag', 'v2.1.0'], { cwd: dir });
    assert.equal(await version(dir), '2.1.0');
    assert.equal(await version(dir, {}, true), '2.1.0');
    await execa('git', ['tag', '-d', 'v2.1.0'], { cwd: dir });
    await execa('git', ['tag', 'v2.2.0'], { cwd: dir });
    const r = await execa('bash', [join(dir, 'scripts/package-version.sh')], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /tagged v2\.2\.0 but package\.json says 2\.1\.0/);
  });
});
