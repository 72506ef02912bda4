// Writes dist/licenses.txt: the licence of every production dependency bundled into dist/.
// ncc's own --license misses modules that webpack concatenates, so this reads package-lock.json instead.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const entries = Object.entries(lock.packages)
  .filter(([path, meta]) => path.startsWith('node_modules/') && !meta.dev && existsSync(path))
  .map(([path, meta]) => ({
    path,
    name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
    version: meta.version,
    license: meta.license,
  }))
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));

const seen = new Set();
const parts = [];
for (const { path, name, version, license } of entries) {
  if (seen.has(`${name}@${version}`)) continue;
  seen.add(`${name}@${version}`);
  const file = existsSync(path) ? readdirSync(path).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f)) : undefined;
  const text = file
    ? readFileSync(join(path, file), 'utf8').trim()
    : `(no licence file in the package; package.json says ${license ?? 'nothing'})`;
  parts.push(`${name} ${version}\n${license ?? 'UNKNOWN'}\n\n${text}`);
}
writeFileSync(
  join('dist', 'licenses.txt'),
  `${parts.join('\n\n--------------------------------------------------------------------------------\n\n')}\n`,
);
console.log(`dist/licenses.txt: ${parts.length} packages`);
