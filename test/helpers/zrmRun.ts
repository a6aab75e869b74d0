import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

// Drives the plugins the way mysql-zrm-backup does (zrm-call-sequence.md of the project's shared notes): each call
// a separate process, ZRM_CONF naming ZRM's settings file, the database host "remote".
export interface ZrmHarness {
  conf: string;
  plugins: { snapshot: string; copy: string };
  env: Record<string, string>;
}

export async function writeZrmConf(path: string, settings: Record<string, string>): Promise<void> {
  await writeFile(path, Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
}

export interface PluginRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runPlugin(path: string, args: string[], env: Record<string, string>): Promise<PluginRun> {
  const r = await execa(path, args, { env, reject: false, stdin: 'ignore', timeout: 600_000 });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A full ZRM level-0 backup of `host`'s `datadir` into `dest`, in ZRM's order. */
export async function zrmFullBackup(h: ZrmHarness, host: string, datadir: string, dest: string): Promise<{ steps: Array<[string, PluginRun]> }> {
  const steps: Array<[string, PluginRun]> = [];
  const snap = async (name: string, args: string[]) => {
    const r = await runPlugin(h.plugins.snapshot, [...args, '--host', host], h.env);
    steps.push([name, r]);
    return r;
  };
  const copy = async (name: string, args: string[]) => {
    const r = await runPlugin(h.plugins.copy, args, h.env);
    steps.push([name, r]);
    return r;
  };
  await snap('get-vm-device-details', ['--action', 'get-vm-device-details', '--directory', `${datadir}//mysql`, '--sname', 'zrmtest1']);
  await snap('create-snapshot', ['--action', 'create-snapshot', '--dev', '/dev/null', '--size', '10', '--sname', 'null', '--directory', '/tmp/zrm-innosnap']);
  await snap('mount', ['--action', 'mount', '--dev', '/dev/null', '--directory', '/tmp/zrm-innosnap', '--fstype', 'null']);
  const list = join(dest, '..', `links-${Date.now()}`);
  await writeFile(list, `${dest}/ZRM_LINKS\n/tmp/zrm-innosnap/mysql ${dest}/ZRM_LINKS\n`);
  await copy('create-link', ['--create-link', '--source-file', list, '--destination-host', host, '--destination-directory', 'File']);
  await copy('copy from', ['--source-host', host, '--source-file', `${dest}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', dest]);
  await copy('remove LINKS', ['remove-backup-data', '--backup-dir', dest, '--type-of-dir', 'LINKS', '--host', host]);
  await snap('umount', ['--action', 'umount', '--directory', '/tmp/zrm-innosnap']);
  await copy('remove MOUNTS', ['remove-backup-data', '--backup-dir', dest, '--type-of-dir', 'MOUNTS', '--host', host]);
  await snap('remove-snapshot', ['--action', 'remove-snapshot', '--dev', '/dev/null']);
  return { steps };
}
