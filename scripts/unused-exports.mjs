// Lists what src/ exports that no other file (src, test, bench, demo) references: each is dead
// code, or an export that should be a local (types used in their own file are let be: they
// describe an exported function). Usage: node scripts/unused-exports.mjs
// Exit status 1 when it finds any, so a check can call it.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const configPath = resolve(root, 'tsconfig.json');
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
const files = parsed.fileNames;
const host = {
  getScriptFileNames: () => files,
  getScriptVersion: () => '0',
  getScriptSnapshot: (f) => (ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(readFileSync(f, 'utf8')) : undefined),
  getCurrentDirectory: () => root,
  getCompilationSettings: () => parsed.options,
  getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
  fileExists: ts.sys.fileExists,
  readFile: ts.sys.readFile,
};
const service = ts.createLanguageService(host);
const program = service.getProgram();
const checker = program.getTypeChecker();

const unused = [];
for (const file of program.getSourceFiles()) {
  const rel = relative(root, file.fileName);
  if (!rel.startsWith('src/')) continue;
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const sym of checker.getExportsOfModule(moduleSymbol)) {
    const decl = sym.declarations?.[0];
    if (!decl || decl.getSourceFile() !== file) continue; // a re-export: judged where it is declared
    const nameNode = ts.getNameOfDeclaration(decl) ?? decl;
    const refs = service.findReferences(file.fileName, nameNode.getStart()) ?? [];
    const all = refs.flatMap((r) => r.references).filter((x) => !x.isDefinition);
    if (all.some((x) => x.fileName !== file.fileName)) continue;
    // A type that names an exported function's parameter or result is API: it may stay exported.
    const isType = (sym.flags & (ts.SymbolFlags.Type | ts.SymbolFlags.Value)) === (sym.flags & ts.SymbolFlags.Type);
    if (isType && all.length > 0) continue;
    const where = `${rel}:${file.getLineAndCharacterOfPosition(nameNode.getStart()).line + 1}`;
    unused.push(`${where} ${sym.name}${all.length === 0 ? ' (dead: used nowhere)' : ' (used only in its own file)'}`);
  }
}
for (const line of unused) console.log(line);
process.exitCode = unused.length > 0 ? 1 : 0;
