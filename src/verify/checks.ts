import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { errorMessage } from '../errors.js';
import { VerifyFailure } from './failure.js';
import type { ThrowawayServer } from './throwawayServer.js';

// What verify checks on the prepared scratch copy, first failure first.

async function tablespaceFiles(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await tablespaceFiles(path, out);
    else if (e.isFile() && e.name.endsWith('.ibd')) out.push(path);
  }
  return out;
}

/** "db.table" -> "page N fails its checksum" for each .ibd innochecksum rejects. */
export type ChecksumSuspects = Map<string, string>;

/**
 * innochecksum over every .ibd before any server reads them. A bad page is only a suspect:
 * pages InnoDB has freed are not rewritten and may hold anything, so it is CHECK TABLE that
 * decides, and a table that fails is reported with its bad page. (The system tablespace is
 * left out: it is full of freed undo pages.) Undefined when innochecksum is not installed.
 */
export async function checkPageChecksums(datadir: string): Promise<ChecksumSuspects | undefined> {
  const probe = await execa('innochecksum', ['--version'], { reject: false, stdin: 'ignore' });
  if (probe.exitCode !== 0) return undefined;
  const suspects: ChecksumSuspects = new Map();
  for (const file of (await tablespaceFiles(datadir)).sort()) {
    const r = await execa('innochecksum', [file], { reject: false, stdin: 'ignore', all: true });
    if (r.exitCode === 0) continue;
    const page = /page::?\s*(\d+)/i.exec(String(r.all))?.[1];
    const table = relative(datadir, file).slice(0, -'.ibd'.length).replace('/', '.');
    suspects.set(table, `${relative(datadir, file)}: ${page === undefined ? 'a page' : `page ${page}`} fails its checksum`);
  }
  return suspects;
}

// Byte 3 of a .frm names the table's engine (legacy_db_type); 12 is InnoDB.
const FRM_INNODB = 12;

/** Every InnoDB table's .frm has its .ibd beside it (file-per-table, as the tools back it up). */
export async function checkDataFiles(datadir: string): Promise<void> {
  for (const e of await readdir(datadir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const names = new Set(await readdir(join(datadir, e.name)));
    for (const name of names) {
      if (!name.endsWith('.frm')) continue;
      const table = name.slice(0, -4);
      if (names.has(`${table}.ibd`)) continue;
      const fh = await open(join(datadir, e.name, name), 'r');
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, 0).finally(() => fh.close());
      if (head[3] === FRM_INNODB) {
        throw new VerifyFailure('files', `${e.name}.${table}: its data file ${e.name}/${table}.ibd is missing from the backup`,
          'the table\'s data file (.ibd) is missing: the table would come back unusable');
      }
    }
  }
}

export interface TableCount {
  table: string;
  rows: number;
}

const DAMAGED_PAGE = 'a data page was damaged after the backup tool read it (disk, copy or storage fault): this backup would restore a corrupt table';
const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export async function checkTables(server: ThrowawayServer, suspects: ChecksumSuspects = new Map()): Promise<TableCount[]> {
  const list = await server.sql(
    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' " +
      "AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema') ORDER BY 1, 2",
  );
  const tables = list.split('\n').filter((l) => l !== '').map((l) => l.split('\t') as [string, string]);
  const counts: TableCount[] = [];
  for (const [schema, name] of tables) {
    const table = `${schema}.${name}`;
    const q = `${quote(schema)}.${quote(name)}`;
    let out: string;
    try {
      out = await server.sql(`CHECK TABLE ${q} EXTENDED`);
    } catch (err) {
      const bad = suspects.get(table);
      throw new VerifyFailure('check-tables', `CHECK TABLE ${table} failed${bad ? ` (${bad})` : ''}: ${errorMessage(err)}\n${await server.errorLogTail()}`,
        bad ? DAMAGED_PAGE : 'the server could not read this table from the backup');
    }
    const rows = out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    const bad = rows.filter((r) => r[2]?.toLowerCase() === 'error');
    const status = rows.filter((r) => r[2]?.toLowerCase() === 'status').at(-1)?.[3];
    if (bad.length > 0 || (status !== undefined && status !== 'OK')) {
      const said = rows.map((r) => r[3]).filter((t) => t && t !== 'OK').join('; ');
      const missing = /tablespace.*(missing|discarded)|doesn't exist in engine/i.test(said);
      const badPage = suspects.get(table);
      throw new VerifyFailure(
        'check-tables',
        `${table}: ${badPage ? `${badPage}; ` : ''}CHECK TABLE: ${said || status || 'failed'}`,
        badPage ? DAMAGED_PAGE : missing
          ? 'the table\'s data file (.ibd) is missing from the backup: the table would come back empty or unusable'
          : 'the table is damaged in the backup: restoring it would bring back a corrupt table',
      );
    }
    try {
      counts.push({ table, rows: Number((await server.sql(`SELECT COUNT(*) FROM ${q}`)).trim()) });
    } catch (err) {
      throw new VerifyFailure('count-rows', `${table}: counting its rows failed: ${errorMessage(err)}`, 'the table cannot be read in full from the backup');
    }
  }
  return counts;
}

/** The InnoDB log sequence number the running server reports. */
export async function serverLsn(server: ThrowawayServer): Promise<number | undefined> {
  const status = await server.sql('SHOW ENGINE INNODB STATUS');
  const m = /Log sequence number\s+(\d+)/.exec(status.replace(/\\n/g, '\n'));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
