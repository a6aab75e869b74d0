// Writes the generated documentation the packages ship, into the staging directory:
//   changelog.gz               Debian changelog of this version (native package: changelog.gz)
//   changelog.yml              the same entry for nfpm's RPM %changelog (chglog format)
//   third-party-licenses.txt.gz  name, version, license and notice of every npm package
//                              bundled into zrm-innobackupex.mjs and zrm-plugins.mjs (production dependencies)
// The entry's lines are the bullets of the version's section in CHANGELOG.md, if it has one.
// Usage: node stage-docs.mjs STAGE_DIR   (environment: PKG_VERSION, PKG_MAINTAINER, PKG_DATE
// in seconds since the epoch). Node built-ins only: it runs before anything is installed.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const NAME = 'mysql-zrm-innobackupex';
const DOC = `/usr/share/doc/${NAME}`;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`stage-docs: ${name} is not set`);
  return v;
}

/** Bullets (top level and nested) of CHANGELOG.md's section for `version`, as plain text. */
export function changelogBullets(markdown, version) {
  const lines = markdown.split('\n');
  const esc = version.replace(/[.+]/g, '\\$&');
  const head = new RegExp(`^##\\s+\\[?v?${esc}\\]?(\\s|$)`);
  const start = lines.findIndex((l) => head.test(l));
  if (start < 0) return [];
  const bullets = [];
  for (const line of lines.slice(start + 1)) {
    if (/^##\s/.test(line)) break;
    const m = /^(\s*)[-*]\s+(.*)$/.exec(line);
    if (m) bullets.push({ nested: m[1].length > 0, text: m[2].trim() });
    else if (/^\s+\S/.test(line) && bullets.length > 0) bullets[bullets.length - 1].text += ` ${line.trim()}`;
  }
  return bullets;
}

function wrap(text, first, rest, width = 79) {
  const out = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else line += (empty ? '' : ' ') + word;
    empty = false;
  }
  out.push(line);
  return out;
}

function debianChangelog(version, maintainer, date, bullets) {
  const body = bullets.flatMap((b) => (b.nested ? wrap(b.text, '    - ', '      ') : wrap(b.text, '  * ', '    ')));
  const rfc2822 = date.toUTCString().replace(/GMT$/, '+0000');
  return `${NAME} (${version}) unstable; urgency=medium\n\n${body.join('\n')}\n\n -- ${maintainer}  ${rfc2822}\n`;
}

// nfpm gives the .rpm release 1; the %changelog entry names version-release, as rpm expects.
function chglog(version, maintainer, date, bullets) {
  const notes = bullets.map((b) => `    - note: ${JSON.stringify(b.text)}`).join('\n');
  return `- semver: ${version}-1\n  date: ${date.toISOString()}\n  packager: ${JSON.stringify(maintainer)}\n  changes:\n${notes}\n`;
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

/** The npm packages that end up in the bundle: every non-dev entry of package-lock.json. */
export function thirdPartyNotices(repo) {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const seen = new Set();
  const parts = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path.startsWith('node_modules/') || entry.dev || entry.devOptional) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (seen.has(`${name}@${entry.version}`)) continue;
    seen.add(`${name}@${entry.version}`);
    const dir = join(repo, path);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort() : [];
    const texts = files.map((f) => readFileSync(join(dir, f), 'utf8').trim());
    parts.push(
      [`${name} ${entry.version} (${entry.license ?? 'license not stated'})`, '-'.repeat(79),
        texts.length > 0 ? texts.join('\n\n') : '(the npm package has no license file)'].join('\n'),
    );
  }
  if (parts.length === 0) throw new Error('stage-docs: no production dependency found in package-lock.json');
  const head = `Third-party software bundled in /usr/lib/${NAME}/zrm-innobackupex.mjs and zrm-plugins.mjs\n` +
    `(the npm packages ${NAME} runs with, as installed when the package was built)\n`;
  return `${head}\n${'='.repeat(79)}\n\n${parts.join(`\n\n${'='.repeat(79)}\n\n`)}\n`;
}

function main() {
  const stage = process.argv[2];
  if (!stage) throw new Error('usage: node stage-docs.mjs STAGE_DIR');
  const repo = new URL('../..', import.meta.url).pathname;
  const version = need('PKG_VERSION');
  const maintainer = need('PKG_MAINTAINER');
  const date = new Date(Number(need('PKG_DATE')) * 1000);
  const changelogMd = join(repo, 'CHANGELOG.md');
  let bullets = existsSync(changelogMd) ? changelogBullets(readFileSync(changelogMd, 'utf8'), version) : [];
  if (bullets.length === 0) bullets = [{ nested: false, text: `Release ${version}; the changes are in ${DOC}/CHANGELOG.md.gz.` }];
  // nfpm turns a semver prerelease (2.1.0-rc.1) into a Debian version that sorts first (2.1.0~rc.1).
  const debVersion = version.replace(/^(\d+\.\d+\.\d+)-/, '$1~');
  const gz = (text) => gzipSync(Buffer.from(text), { level: 9 });
  writeFileSync(join(stage, 'changelog.gz'), gz(debianChangelog(debVersion, maintainer, date, bullets)));
  writeFileSync(join(stage, 'changelog.yml'), chglog(version, maintainer, date, bullets));
  writeFileSync(join(stage, 'third-party-licenses.txt.gz'), gz(thirdPartyNotices(repo)));
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) main();
