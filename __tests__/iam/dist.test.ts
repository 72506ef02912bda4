// iam-simulate is AGPL-3.0: a dev dependency for the tests only. The bundle the action ships must hold none of it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const DIST = join(import.meta.dirname, '..', '..', 'dist');
const SRC = join(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('the AGPL simulator stays out of the action', () => {
  it('dist/ holds no file that names or contains @cloud-copilot/iam-simulate', () => {
    const all = files(DIST);
    expect(all.length).toBeGreaterThan(0);
    const offenders = all.filter(
      (f) =>
        /iam-simulate/.test(f) || /@cloud-copilot\/iam-simulate|cloud-copilot\/iam-simulate|runSimulation/.test(readFileSync(f, 'latin1')),
    );
    expect(offenders).toEqual([]);
  });

  it('no source file imports it', () => {
    const offenders = files(SRC).filter((f) => readFileSync(f, 'utf8').includes('@cloud-copilot/iam-simulate'));
    expect(offenders).toEqual([]);
  });
});
