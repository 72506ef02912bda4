// A change kind is defined once: its phase, presentation and permissions here, its write in apply.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CHANGE_KINDS, type ChangeAction } from '../src/changes.js';
import { statements } from '../src/policy.js';

const granted = (mode: string) =>
  new Set(
    statements(JSON.parse(readFileSync(`policies/${mode}-permissions.json`, 'utf8'))).flatMap((s) =>
      Array.isArray(s.Action) ? s.Action : [s.Action ?? ''],
    ),
  );

describe('CHANGE_KINDS', () => {
  it.each(Object.keys(CHANGE_KINDS) as ChangeAction[])('%s: every action it needs is in the permissions of its mode', (kind) => {
    const { permissions, modes } = CHANGE_KINDS[kind];
    for (const mode of modes) {
      const have = granted(mode);
      expect([mode, permissions.filter((a) => !have.has(a))]).toEqual([mode, []]);
    }
  });

  it('a new kind without its write step, phase or presentation does not compile', () => {
    // Copy src/ aside, add a kind to the Change union only, and typecheck: both tables must fail.
    const dir = mkdtempSync(join(tmpdir(), 'kinds-'));
    try {
      cpSync('src', join(dir, 'src'), { recursive: true });
      symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const file = join(dir, 'src', 'changes.ts');
      const source = readFileSync(file, 'utf8');
      const marker = "    | { action: 'delete-policy'; name: string; versionIds: string[] }";
      expect(source).toContain(marker);
      writeFileSync(file, source.replace(marker, `${marker}\n    | { action: 'rename-role'; roleName: string }`));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          include: ['src'],
        }),
      );
      let output = '';
      try {
        execFileSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      } catch (error) {
        output = String((error as { stdout?: string }).stdout);
      }
      expect(output).toMatch(/src\/changes\.ts.*"rename-role"' is missing/);
      expect(output).toMatch(/src\/apply\.ts.*"rename-role"' is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
