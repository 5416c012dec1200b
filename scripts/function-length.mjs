#!/usr/bin/env node
// Function length check: prints every function longer than the limit in the given folders and exits 1 if there is
// one. A function a reader can hold fits on a screen (TigerBeetle's TIGER_STYLE: 70 lines); table-like data is not a
// function and is not counted. A function's length runs from its first line to its last, nested functions included.
//
// Usage: node scripts/function-length.mjs [--max <lines>] <folder or file>...
//   --max <lines>  the most lines a function may take (default 70)
// Reads .ts files (not .d.ts) under each folder, recursively; node_modules and dist are skipped.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const DEFAULT_MAX = 70;

function parseArguments(argv) {
  const targets = [];
  let max = DEFAULT_MAX;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === '--max') {
      max = Number(argv[++index]);
      if (!Number.isInteger(max) || max < 1) throw new Error('--max takes a positive whole number of lines');
    } else if (argument === '--help' || argument === '-h') {
      return { help: true, targets, max };
    } else {
      targets.push(argument);
    }
  }
  return { help: false, targets, max };
}

function sourceFiles(target) {
  if (!existsSync(target)) {
    console.error(`function-length: no such file or folder: ${target}`);
    process.exit(2);
  }
  if (statSync(target).isFile()) return [target];
  const files = [];
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    const path = join(target, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') files.push(...sourceFiles(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(path);
    }
  }
  return files.sort();
}

/** A readable name for a function node: its own name, or the variable, property or call it is written in. */
function nameOf(node) {
  if (node.name !== undefined) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText();
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText().slice(0, 40)})`;
  return '(anonymous)';
}

function isFunction(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function longFunctions(file, max) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (isFunction(node) && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const lines = last - first + 1;
      if (lines > max) found.push({ file, line: first, name: nameOf(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const { help, targets, max } = parseArguments(process.argv.slice(2));
if (help || targets.length === 0) {
  console.log('usage: node scripts/function-length.mjs [--max <lines>] <folder or file>...');
  process.exit(help ? 0 : 2);
}
const found = targets.flatMap((target) => sourceFiles(target).flatMap((file) => longFunctions(file, max)));
found.sort((a, b) => b.lines - a.lines);
for (const f of found) console.log(`${relative(process.cwd(), f.file)}:${f.line} ${f.name} ${f.lines} lines`);
if (found.length > 0) {
  console.error(`${found.length} function(s) over ${max} lines`);
  process.exit(1);
}
console.log(`no function over ${max} lines in ${targets.join(', ')}`);
