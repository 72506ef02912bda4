// The README and examples stay true to action.yml and the policy files.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { MAX_BRANCH, MAX_ENVIRONMENT, MAX_WORKFLOW_FILE_NAME } from '../scripts/bootstrap-template.mjs';
import { CHANGE_KINDS } from '../src/changes.js';
import { TEMPLATE_FILE } from '../src/deployer.js';

const read = (file: string) => readFileSync(join(process.cwd(), file), 'utf8');
const action = parse(read('action.yml')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};

/** The project's own documentation: the README, the changelog and docs/. */
function markdownFiles(): string[] {
  const docs = existsSync('docs')
    ? readdirSync('docs')
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', 'CHANGELOG.md', ...docs];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** Every workflow in the docs' yaml blocks and in examples/, parsed. */
function workflows(): { file: string; doc: unknown }[] {
  const out: { file: string; doc: unknown }[] = [];
  for (const file of markdownFiles()) for (const m of read(file).matchAll(/```yaml\n([\s\S]*?)```/g)) out.push({ file, doc: parse(m[1]) });
  if (existsSync('examples'))
    for (const f of readdirSync('examples')) out.push({ file: `examples/${f}`, doc: parse(read(`examples/${f}`)) });
  return out;
}

/** The `with:` maps of every step that uses this action, however deep in the workflow. */
function usesOfThisAction(node: unknown): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap(usesOfThisAction);
  if (!node || typeof node !== 'object') return [];
  const step = node as { uses?: string; with?: Record<string, unknown> };
  const own = typeof step.uses === 'string' && /activeloop-role-action@|^\.\/?$/.test(step.uses) ? [step.with ?? {}] : [];
  return [...own, ...Object.values(node).flatMap(usesOfThisAction)];
}

describe('action.yml', () => {
  it('runs dist/index.js on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares every output the spec names', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([
      'access',
      'changed',
      'kms-key-arns',
      'plan',
      'policy-arn',
      'policy-arns',
      'role-arn',
    ]);
  });
});

describe('README', () => {
  it("lists every kind of change in the plan output's row", () => {
    const row = read('README.md').match(/^\| `plan` \|.*$/m)?.[0] ?? '';
    const listed = [
      ...row
        .split('`action` is one of')[1]
        .split(';')[0]
        .matchAll(/`([a-z-]+)`/g),
    ].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(CHANGE_KINDS).sort());
  });

  it('documents every input and output in its tables', () => {
    const readme = read('README.md');
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('uses only declared inputs in every `with:` of this action, in README and examples', () => {
    const uses = workflows().flatMap(({ file, doc }) => usesOfThisAction(doc).map((w) => ({ file, keys: Object.keys(w) })));
    expect(uses.length).toBeGreaterThan(0);
    for (const { file, keys } of uses) for (const key of keys) expect([file, key, key in action.inputs]).toEqual([file, key, true]);
  });

  it('links the least-privilege policies in policies/ and the deployer template instead of repeating them', () => {
    const readme = read('README.md');
    for (const file of ['plan-permissions.json', 'apply-permissions.json', 'destroy-permissions.json']) {
      expect([file, readme.includes(`](policies/${file})`)]).toEqual([file, true]);
    }
    // One source: no statement of a policy file is copied into the README.
    expect(readme).not.toContain('"Statement"');
    expect(readme).not.toContain('"Sid"');
    expect(readme).toContain('](bootstrap/activeloop-deployer.yml)');
    expect(readme).not.toContain('```json');
  });

  it('gives the two fresh-machine commands on its first screen, and how long the tests take', () => {
    const firstScreen = read('README.md').split('\n').slice(0, 40).join('\n');
    expect(firstScreen).toContain('npm run demo');
    expect(firstScreen).toMatch(/npm test .*about \d+ minutes/);
  });

  it('keeps reference detail out of the first screens: under 500 lines, the rest in docs/', () => {
    expect(read('README.md').split('\n').length).toBeLessThan(500);
  });
});

describe('the deployer template, as the setup downloads it', () => {
  const stepOne = /```sh\n\s*(curl [\s\S]*?)```/.exec(read('README.md'))?.[1] ?? '';

  it("is one file name in the README's first step (curl's download, deploy's --template-file) and the stack update the action prints", () => {
    const downloaded = basename(/curl -fsSLO (\S+)/.exec(stepOne)?.[1] ?? '');
    expect(downloaded).toBe('activeloop-deployer.yml');
    expect(/--template-file (\S+)/.exec(stepOne)?.[1]).toBe(downloaded);
    expect(basename(TEMPLATE_FILE)).toBe(downloaded);
  });

  it('is named the same way in docs/bootstrap.md, never by its path in a clone', () => {
    const doc = read('docs/bootstrap.md');
    expect(doc).toContain('--template-file activeloop-deployer.yml');
    expect(doc).not.toMatch(/--template-file (?!activeloop-deployer\.yml)/);
  });

  it("docs/bootstrap.md gives the trust policies' length caps the template has", () => {
    expect(new Set([MAX_BRANCH, MAX_WORKFLOW_FILE_NAME, MAX_ENVIRONMENT])).toEqual(new Set([48]));
    expect(read('docs/bootstrap.md').replace(/\s+/g, ' ')).toContain(`at most ${MAX_BRANCH} characters each`);
  });
});

describe('Markdown links', () => {
  it('resolve: every relative link names a file that exists, and every #anchor a heading in it', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path, anchor] = target.split('#');
        const resolved = path ? join(dirname(file), path) : file;
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith('.md')) {
          const anchors = [...read(resolved).matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1]));
          if (!anchors.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the one workflow file', () => {
  type Workflow = { on: Record<string, unknown>; env?: Record<string, string>; jobs: Record<string, unknown> };
  const example = parse(read('examples/activeloop.yml')) as Workflow;

  it("is the README's main workflow, as it stands", () => {
    const section = read('README.md').split('### One workflow file')[1];
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(parse(block)).toEqual(example);
  });

  it('runs on every event mode: auto knows, the PR trigger filtered on the file itself', () => {
    expect(Object.keys(example.on).sort()).toEqual(['pull_request', 'push', 'schedule', 'workflow_dispatch']);
    expect((example.on.pull_request as { paths: string[] }).paths).toEqual(['.github/workflows/activeloop.yml']);
    const dispatch = example.on.workflow_dispatch as { inputs: { mode: { options: string[] } } };
    expect(dispatch.inputs.mode.options).toEqual(['auto', 'plan', 'plan-destroy', 'destroy']);
    for (const w of usesOfThisAction(example)) expect(w.mode).toBe('auto');
  });

  it('plans with the plan role on pull requests and uses the apply role otherwise, both derived from the account variable', () => {
    const [main, offboard] = usesOfThisAction(example);
    // A GitHub expression, written without a template-like literal.
    const expression = (inner: string) => `$${'{{'} ${inner} }}`;
    expect(example.env?.DEPLOYER_ROLES).toBe(
      `arn:aws:iam::${expression('vars.ACTIVELOOP_AWS_ACCOUNT_ID')}:role/activeloop-role-action-deployer/activeloop`,
    );
    expect(main['role-to-assume']).toBe(
      `${expression('env.DEPLOYER_ROLES')}-${expression("github.event_name == 'pull_request' && 'plan' || 'apply'")}`,
    );
    expect(offboard['role-to-assume']).toBe(`${expression('env.DEPLOYER_ROLES')}-apply`);
    expect(main['external-id']).toBe(expression('vars.ACTIVELOOP_EXTERNAL_ID'));
    // The boundary comes from the stack role's tag; the account is pinned; the web app's CORS is decided visibly.
    expect(main['permissions-boundary']).toBeUndefined();
    for (const w of [main, offboard]) expect(w['allowed-account-ids']).toBe(expression('vars.ACTIVELOOP_AWS_ACCOUNT_ID'));
    expect(main.cors).toBe(true);
  });

  it("the README's stack command grants what the workflow asks: the same buckets, ManageCors, the offboarding environment", () => {
    const command = /aws cloudformation deploy[\s\S]*?```/.exec(read('README.md'))?.[0] ?? '';
    const buckets = /Buckets=(\S+)/.exec(command)?.[1].split(',');
    expect(buckets).toEqual((example.env?.BUCKETS ?? '').trim().split('\n'));
    expect(command).toContain('ManageCors=true');
    expect(command).toContain('CAPABILITY_NAMED_IAM');
    const offboardJob = example.jobs.offboard as { environment: string };
    expect(command).toContain(`OffboardingEnvironment=${offboardJob.environment}`);
  });

  it.each(readdirSync('examples'))(
    '%s gives PR plans a concurrency group per ref, so a newly queued plan never cancels a pending apply',
    (file) => {
      const workflow = parse(read(`examples/${file}`)) as { concurrency?: unknown; jobs: Record<string, { concurrency?: unknown }> };
      const groups = [workflow.concurrency, ...Object.values(workflow.jobs).map((j) => j.concurrency)].filter(Boolean) as {
        group: string;
        'cancel-in-progress': string;
      }[];
      expect(groups).toHaveLength(1);
      const [{ group, 'cancel-in-progress': cancel }] = groups;
      // GitHub cancels a group's pending run when another is queued: a PR's group must be its own, per ref.
      expect(group).toMatch(
        /^\$\{\{ github\.event_name == 'pull_request' && format\('[^']*plan-[^']*', (matrix\.account, )?github\.ref\) \|\| /,
      );
      // Applies never cancel a running apply; only a PR's older plan is cancelled.
      expect(cancel).toBe(`$${'{{'} github.event_name == 'pull_request' }}`);
    },
  );

  it('the README names for mode: auto only the events the one workflow runs on, with the role it picks', () => {
    const table = read('README.md').split('What each event does with `mode: auto`')[1].split('\n\n')[1];
    const events = [...table.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);
    expect(events).toEqual(['pull_request', 'push', 'schedule', 'workflow_dispatch']);
    expect(Object.keys(example.on).sort()).toEqual([...events].sort());
    // pull_request_target and merge_group would get the apply role from the workflow's expression: not in the table.
    expect(table).not.toMatch(/pull_request_target|merge_group/);
  });

  it.each(readdirSync('examples'))('%s keeps one copy of each setting: a value used by two steps is a reference', (file) => {
    const uses = usesOfThisAction(parse(read(`examples/${file}`)));
    const literal = new Map<string, number>();
    for (const w of uses) {
      for (const [key, value] of Object.entries(w)) {
        if (key === 'mode' || String(value).includes('${{')) continue;
        literal.set(key, (literal.get(key) ?? 0) + 1);
      }
    }
    expect([...literal].filter(([, n]) => n > 1)).toEqual([]);
  });
});

describe('workflows', () => {
  const files = readdirSync('.github/workflows').map((f) => `.github/workflows/${f}`);

  const uses = [...files, ...readdirSync('examples').map((f) => `examples/${f}`)].flatMap((file) =>
    [...read(file).matchAll(/uses:\s*([^\s#]+)[ \t]*(#[^\n]*)?/g)].map((m) => ({ file, ref: m[1], comment: m[2] ?? '' })),
  );
  // This repository's own actions: the action and its accounts sub-action (org/activeloop-role-action/accounts@v1).
  const thirdParty = uses.filter(({ ref }) => !ref.startsWith('./') && !/^org\/activeloop-role-action(\/accounts)?@/.test(ref));

  it('pin every third-party action to a full commit SHA', () => {
    expect(thirdParty.length).toBeGreaterThan(5);
    for (const { file, ref } of thirdParty) expect([file, ref, /@[0-9a-f]{40}$/.test(ref)]).toEqual([file, ref, true]);
  });

  it('say the exact version of each pin in its comment (# v1.2.3), the same for every use of a SHA', () => {
    const versions = new Map<string, string>();
    for (const { file, ref, comment } of thirdParty) {
      expect([file, ref, comment]).toEqual([file, ref, expect.stringMatching(/^# v\d+\.\d+\.\d+$/)]);
      const sha = ref.split('@')[1];
      expect([ref, versions.get(sha) ?? comment]).toEqual([ref, comment]);
      versions.set(sha, comment);
    }
  });

  it('are valid YAML with jobs, and give the token no more than they need', () => {
    for (const file of files) {
      const workflow = parse(read(file)) as { permissions?: Record<string, string>; jobs: Record<string, unknown> };
      expect([file, Object.keys(workflow.jobs).length > 0]).toEqual([file, true]);
      expect([file, workflow.permissions?.contents]).toEqual([file, file.endsWith('release.yml') ? 'write' : 'read']);
    }
  });

  it('keep the one workflow file and the multi-account matrix', () => {
    expect(readdirSync('examples').sort()).toEqual(['activeloop.yml', 'multi-account.yml']);
  });
});
