// ncc minifies dist/index.js but not the chunks it splits off (the modules loaded on demand: the GitHub client,
// the proxy agents, the AWS stage past the sign-in). This minifies each chunk in place with esbuild, keeping its
// source map chained to src/ (esbuild reads the chunk's linked map).
//
//   node scripts/minify-chunks.mjs dist
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = process.argv[2] ?? 'dist';
const chunks = readdirSync(dir).filter((f) => /^\d+\.index\.js$/.test(f));
let before = 0;
let after = 0;
for (const file of chunks) {
  const path = join(dir, file);
  before += statSync(path).size;
  await build({
    entryPoints: [path],
    outfile: path,
    allowOverwrite: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  after += statSync(path).size;
}
console.log(`${dir}: ${chunks.length} chunks minified, ${(before / 1024).toFixed(0)} KiB to ${(after / 1024).toFixed(0)} KiB`);
