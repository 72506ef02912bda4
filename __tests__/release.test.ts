// The release workflow's logic (scripts/move-major-tag.sh) against local git repositories.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const script = resolve('scripts/move-major-tag.sh');
let dir: string;
let remote: string;
let clone: string;

// stdio piped: git's notes on stderr (such as cloning an empty repository) stay out of the test run's output.
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
/** Commits and tags a release in the clone, pushing the tag as GitHub's release would. */
function release(tag: string): string {
  writeFileSync(join(clone, 'version'), tag);
  git(clone, 'add', 'version');
  git(clone, 'commit', '-qm', tag);
  git(clone, 'tag', tag);
  git(clone, 'push', '-q', 'origin', 'HEAD', tag);
  return git(clone, 'rev-parse', 'HEAD');
}
function move(tag: string, prerelease = 'false') {
  const out = spawnSync(script, [tag, prerelease], { cwd: clone, encoding: 'utf8' });
  return { code: out.status, text: out.stdout + out.stderr };
}
/** Where the remote's major tag points (the commit), or undefined. */
function remoteMajor(major: string): string | undefined {
  const line = git(remote, 'rev-parse', '-q', '--verify', `refs/tags/${major}^{commit}`);
  return line || undefined;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'release-'));
  remote = join(dir, 'remote.git');
  clone = join(dir, 'clone');
  git(dir, 'init', '-q', '--bare', remote);
  git(dir, 'clone', '-q', remote, clone);
  git(clone, 'config', 'user.email', 'test@example.com');
  git(clone, 'config', 'user.name', 'test');
  git(clone, 'commit', '-q', '--allow-empty', '-m', 'start');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = (fn: () => string | undefined) => {
  try {
    return fn();
  } catch {
    return undefined;
  }
};

describe('move-major-tag.sh', () => {
  it('creates v1 on the first release and moves it on the next', () => {
    const first = release('v1.0.0');
    expect(move('v1.0.0').code).toBe(0);
    expect(remoteMajor('v1')).toBe(first);
    const second = release('v1.1.0');
    expect(move('v1.1.0').text).toContain('Moved v1 to v1.1.0');
    expect(remoteMajor('v1')).toBe(second);
  });

  it('does not move v1 backwards when an older patch is published', () => {
    const current = remoteMajor('v1');
    release('v1.0.1');
    const out = move('v1.0.1');
    expect(out.code).toBe(0);
    expect(out.text).toContain('v1.0.1 is not the highest v1 release (v1.1.0 is)');
    expect(remoteMajor('v1')).toBe(current);
  });

  it('orders versions numerically: v1.10.0 is above v1.9.0', () => {
    const ten = release('v1.10.0');
    expect(move('v1.10.0').code).toBe(0);
    release('v1.9.0');
    expect(move('v1.9.0').text).toContain('not the highest');
    expect(remoteMajor('v1')).toBe(ten);
  });

  it('leaves v1 alone for a prerelease, and moves it when the prerelease is promoted', () => {
    const before = remoteMajor('v1');
    const candidate = release('v1.11.0');
    expect(move('v1.11.0', 'true').text).toContain('prerelease');
    expect(remoteMajor('v1')).toBe(before);
    // Promotion: GitHub sends `released` with prerelease false.
    expect(move('v1.11.0', 'false').text).toContain('Moved v1 to v1.11.0');
    expect(remoteMajor('v1')).toBe(candidate);
  });

  it('changes nothing on a second run for the same release (published, then released)', () => {
    const out = move('v1.11.0');
    expect(out.text).toContain('v1 already points to v1.11.0');
    expect(out.code).toBe(0);
  });

  it('starts v2 without touching v1', () => {
    const v1 = remoteMajor('v1');
    const v2 = release('v2.0.0');
    expect(move('v2.0.0').code).toBe(0);
    expect(remoteMajor('v2')).toBe(v2);
    expect(remoteMajor('v1')).toBe(v1);
  });

  it('refuses a tag that is not vMAJOR.MINOR.PATCH, with an error annotation', () => {
    const out = move('v3.0.0-rc.1');
    expect(out.code).toBe(1);
    expect(out.text).toContain("::error::Release tag 'v3.0.0-rc.1' is not vMAJOR.MINOR.PATCH");
    expect(quiet(() => remoteMajor('v3'))).toBeUndefined();
  });
});
