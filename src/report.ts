// What the run tells people: the plan as JSON, and Markdown for the job summary and the PR comment. Pure.

import { type BucketAccess, CAPABILITIES, type Capability, DATA_CAPABILITIES, type Verdict } from './access.js';
import { type Change, kindOf } from './changes.js';
import type { DesiredState } from './desired.js';
import { type Mode, removes } from './inputs.js';
import { documentFacts, type PolicyDocument, statements } from './policy.js';
import type { BucketEncryption } from './read.js';

/** One entry of the `plan` output: what, which resource, why. */
export interface PlanEntry {
  action: Change['action'];
  resource: string;
  reason: string;
  drift: boolean;
}

export function planEntries(changes: Change[]): PlanEntry[] {
  return changes.map((c) => ({ action: c.action, resource: c.resource, reason: c.reason, drift: c.drift }));
}

export interface ReportInput {
  mode: Mode;
  roleName: string;
  roleArn: string;
  policyArns: string[];
  changes: Change[];
  desired: DesiredState;
  buckets: BucketEncryption[];
  /** The access check's verdicts, when it ran. */
  access?: BucketAccess[];
  warnings: string[];
  externalId?: string;
  /** Hides the account ID (mask-account-id). */
  redact?: (text: string) => string;
  /** Apply stopped on an error: why, and the planned changes it did not make. */
  failure?: { message: string; notMade: Change[] };
  /** Why the step fails although the run went through (fail-on-drift, access-check: fail): led with ❌. */
  checkFailures?: string[];
  /** This run set out to create the role, and a concurrent run created it first: the role is new all the same. */
  createdConcurrently?: boolean;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A document with its lists sorted, so a line diff shows meaning, not order. */
function displayJson(doc: PolicyDocument): string {
  const sortDeep = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sortDeep(v)]));
    }
    return value;
  };
  const sorted = statements(doc)
    .map((s) => sortDeep(s))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return JSON.stringify({ Version: doc.Version, Statement: sorted }, null, 2);
}

/**
 * A unified-style line diff (longest common subsequence); big inputs fall back to old-then-new.
 * Lines are compared without a trailing comma, so a line that only gained or lost one in JSON is not shown as changed.
 */
export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const ka = a.map((l) => l.replace(/,$/, ''));
  const kb = b.map((l) => l.replace(/,$/, ''));
  if (a.length * b.length > 4_000_000) return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)].join('\n');
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = ka[i] === kb[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && ka[i] === kb[j]) {
      out.push(`  ${b[j]}`);
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out.join('\n');
}

/** The added and removed buckets, keys, actions, principals and conditions between two documents. */
export function factsDiff(before: PolicyDocument | undefined, after: PolicyDocument): string[] {
  const was = before ? documentFacts(before) : undefined;
  const now = documentFacts(after);
  const lines: string[] = [];
  const labels: [keyof typeof now, string][] = [
    ['buckets', 'bucket'],
    ['objectResources', 'object resource'],
    ['kmsKeys', 'KMS key'],
    ['actions', 'action'],
    ['principals', 'principal'],
    ['conditions', 'condition'],
  ];
  for (const [key, label] of labels) {
    const old = new Set(was?.[key] ?? []);
    const cur = new Set(now[key]);
    const added = now[key].filter((v) => !old.has(v));
    const removed = (was?.[key] ?? []).filter((v) => !cur.has(v));
    const show = (items: string[], sign: string) => {
      const listed = items.slice(0, 25).map(code).join(', ');
      const more = items.length > 25 ? ` and ${items.length - 25} more` : '';
      lines.push(`${sign} ${items.length} ${label}${items.length === 1 ? '' : 's'}: ${listed}${more}`);
    };
    if (added.length) show(added, '**added**');
    if (removed.length) show(removed, '**removed**');
  }
  return lines;
}

function documentSection(title: string, before: PolicyDocument | undefined, after: PolicyDocument): string {
  const facts = factsDiff(before, after);
  const diff = before ? lineDiff(displayJson(before), displayJson(after)) : displayJson(after);
  return [
    `#### ${title}`,
    '',
    ...(facts.length ? facts.map((f) => `- ${f}`) : ['- same grants, different form']),
    '',
    '<details><summary>Document diff</summary>',
    '',
    before ? '```diff' : '```json',
    diff,
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}

function documentSections(changes: Change[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    const shown = kindOf(c).document?.(c);
    if (shown) out.push(documentSection(shown.title, shown.before, shown.after));
    if (c.action === 'create-role') {
      // The boundary is the most the role can ever do: a reviewer sees it before the role exists.
      out.push(
        `#### Settings of the new role ${code(c.name)}\n\n| setting | value |\n|---|---|\n` +
          `| path | ${code(c.path)} |\n` +
          `| max session duration | ${c.maxSessionDuration} |\n` +
          `| permissions boundary | ${c.permissionsBoundary ? code(c.permissionsBoundary) : 'none'} |\n`,
      );
    } else if (c.action === 'update-role') {
      out.push(
        `#### Role settings of ${code(c.roleName)}\n\n| setting | now | wanted |\n|---|---|---|\n` +
          `| description | ${cell(c.previous.description ?? '')} | ${cell(c.description)} |\n` +
          `| max session duration | ${c.previous.maxSessionDuration} | ${c.maxSessionDuration} |\n`,
      );
    }
  }
  return out;
}

function bucketTable(buckets: BucketEncryption[]): string {
  if (buckets.length === 0) return '';
  const rows = buckets.map(
    (b) => `| ${code(b.bucket)} | ${b.algorithm} | ${b.grantedKeyArn ? code(b.grantedKeyArn) : '—'} | ${cell(b.note)} |`,
  );
  const table = ['| bucket | default encryption | KMS key granted | note |', '|---|---|---|---|', ...rows].join('\n');
  return buckets.length > 15
    ? `<details><summary>KMS keys per bucket (${buckets.length} buckets)</summary>\n\n${table}\n\n</details>`
    : table;
}

const STATE_ICONS = { allowed: '✅ allowed', blocked: '⛔ blocked', unknown: '❔ unknown', 'not-applicable': '—' };
const CAPABILITY_TITLES: Record<Capability, string> = {
  list: 'list',
  read: 'read',
  write: 'write',
  kms: 'KMS',
  'web-app': 'web app (CORS)',
};

/** A bucket as the inputs name it: with its prefixes, when the role is limited to some. */
function bucketLabel(a: BucketAccess): string {
  return a.prefixes?.length ? a.prefixes.map((p) => `${a.bucket}/${p}`).join(', ') : a.bucket;
}

const hasState = (a: BucketAccess, state: 'blocked' | 'unknown', capabilities: Capability[] = DATA_CAPABILITIES) =>
  capabilities.filter((c) => a.verdicts[c].state === state);

/** The headline's access line: the buckets Deep Lake cannot use, and those it may not; none when all is well. */
export function accessHeadline(access: BucketAccess[] | undefined): string | undefined {
  const unusable = (access ?? []).filter((a) => hasState(a, 'blocked').length);
  const unknown = (access ?? []).filter((a) => !hasState(a, 'blocked').length && hasState(a, 'unknown').length);
  const names = (list: BucketAccess[]) => list.map((a) => code(bucketLabel(a))).join(', ');
  const lines = [
    unusable.length
      ? `⛔ Activeloop cannot use ${plural(unusable.length, 'bucket')}: ${names(unusable)} (see "Can Activeloop use the buckets?").`
      : '',
    unknown.length ? `❔ Whether Activeloop can use ${names(unknown)} depends on what the action cannot see (see below).` : '',
  ].filter(Boolean);
  return lines.length ? lines.join('\n') : undefined;
}

/** Where a bucket goes in the summary: Deep Lake blocked first, then unknown, then the web app alone blocked, then the rest. */
function accessRank(a: BucketAccess): number {
  if (hasState(a, 'blocked').length) return 0;
  if (hasState(a, 'unknown').length) return 1;
  if (a.verdicts['web-app'].state === 'blocked' || a.verdicts['web-app'].state === 'unknown') return 2;
  return 3;
}

/** One row per bucket (with its prefixes), then each blocked or unknown cell with its policy, statement and fix; unusable buckets first. */
function accessSection(unordered: BucketAccess[]): string {
  // A stable sort: within a rank, the buckets keep the order of the inputs.
  const access = unordered
    .map((a, i) => ({ a, i }))
    .sort((x, y) => accessRank(x.a) - accessRank(y.a) || x.i - y.i)
    .map(({ a }) => a);
  const header = [
    `| bucket | ${CAPABILITIES.map((c) => CAPABILITY_TITLES[c]).join(' | ')} |`,
    `|---|${CAPABILITIES.map(() => '---').join('|')}|`,
  ];
  const row = (a: BucketAccess) => `| ${code(bucketLabel(a))} | ${CAPABILITIES.map((c) => STATE_ICONS[a.verdicts[c].state]).join(' | ')} |`;
  // Allowed cells are told too when a date will change them or a bucket setting has a word on them.
  const told = (v: Verdict) => v.state === 'blocked' || v.state === 'unknown' || v.changesAt !== undefined || v.setting !== undefined;
  const details = access.flatMap((a) =>
    CAPABILITIES.filter((c) => told(a.verdicts[c])).map((c) => {
      const v = a.verdicts[c];
      const where = [v.policy, v.statement && `statement ${v.statement}`].filter(Boolean).join(', ');
      return `- ${code(bucketLabel(a))} ${CAPABILITY_TITLES[c]}: ${v.state}: ${cell(v.reason)}${where ? ` (${cell(where)})` : ''}.${v.fix ? ` **Fix:** ${cell(v.fix)}` : ''}`;
    }),
  );
  // A long table folds away only the buckets Deep Lake can use; those it cannot (or may not) stay in view.
  const open = access.length > 15 ? access.filter((a) => accessRank(a) < 2) : access;
  const folded = access.length > 15 ? access.filter((a) => accessRank(a) >= 2) : [];
  const body = [
    ...(open.length ? [[...header, ...open.map(row)].join('\n')] : []),
    ...(folded.length
      ? [
          `<details><summary>Access per bucket: ${plural(folded.length, 'more bucket')}</summary>\n\n${[...header, ...folded.map(row)].join('\n')}\n\n</details>`,
        ]
      : []),
  ].join('\n\n');
  return [
    '#### Can Activeloop use the buckets?',
    '',
    body,
    '',
    ...details,
    ...(details.length ? [''] : []),
    "_Checked against the bucket policies, KMS key policies and the permissions boundary, for Deep Lake's requests with this role. Service control policies and resource control policies of an AWS Organization are not visible to the action._",
    '',
  ].join('\n');
}

// GitHub shows at most 10 warning annotations per step.
export const WARNING_LIMIT = 10;

/** The first blocked (else unknown) verdict's policy, statement and fix, said once for the bucket. */
function bucketWarning(a: BucketAccess): string | undefined {
  const blocked = hasState(a, 'blocked');
  const unknown = hasState(a, 'unknown');
  const which = blocked.length ? blocked : unknown;
  if (!which.length) return undefined;
  const v = a.verdicts[which[0]];
  const where = `${v.policy ?? 'a policy'}${v.statement ? ` (statement ${v.statement})` : ''}`;
  const caps = which.map((c) => CAPABILITY_TITLES[c]).join(', ');
  if (blocked.length) {
    // A statement is named only for a Deny; without one, no statement allowed the request.
    const how = v.statement ? 'denied by' : 'not allowed by';
    const until = v.changesAt && v.changesTo !== 'blocked' ? ` until ${v.changesAt}` : '';
    return `Activeloop cannot use bucket ${bucketLabel(a)} (${caps}): ${how} the ${where}${until}. Fix: ${v.fix ?? 'see the job summary.'}`;
  }
  const decides = v.decidingKey ? `: ${v.decidingKey} decides${v.passesWhen ? `; it passes when ${v.passesWhen}` : ''}` : '';
  // A bucket setting (Region, Requester Pays, Object Ownership) is said in its own words, with its fix.
  if (v.setting)
    return `Activeloop may not be able to use bucket ${bucketLabel(a)} (${caps}): ${v.reason}. Fix: ${v.fix ?? 'see the job summary.'}`;
  return `Activeloop may not be able to use bucket ${bucketLabel(a)} (${caps}): the ${where} depends on what the action cannot see${decides}.`;
}

/** A bucket Deep Lake can use today that a date condition will block: from when, and by what. */
function comingBlockWarning(a: BucketAccess): string | undefined {
  const coming = DATA_CAPABILITIES.filter((c) => a.verdicts[c].state === 'allowed' && a.verdicts[c].changesTo === 'blocked');
  if (!coming.length) return undefined;
  const v = a.verdicts[coming[0]];
  const where = `${v.policy ?? 'a policy'}${v.statement ? ` (statement ${v.statement})` : ''}`;
  return `Activeloop can use bucket ${bucketLabel(a)} (${coming.map((c) => CAPABILITY_TITLES[c]).join(', ')}) only until ${v.changesAt}: from then the ${where} denies it. Fix: ${v.fix ?? 'see the job summary.'}`;
}

/**
 * At most `limit` warnings (GitHub's 10 less the run's other warnings): first one line per bucket Deep Lake cannot use, then one per bucket whose
 * access is unknown, then one line for every bucket the web app cannot read; what does not fit is counted
 * and left to the job summary.
 */
export function accessWarnings(access: BucketAccess[], limit = WARNING_LIMIT): string[] {
  const unusable = access.filter((a) => hasState(a, 'blocked').length);
  const unknown = access.filter((a) => !hasState(a, 'blocked').length && hasState(a, 'unknown').length);
  const lines = [
    ...[...unusable, ...unknown].map(bucketWarning),
    // A coming block of an allowed cell is told even when another cell is unknown (an old bucket's Object Ownership).
    ...access.filter((a) => !unusable.includes(a)).map(comingBlockWarning),
  ].filter((w): w is string => w !== undefined);
  const noCors = access.filter((a) => a.verdicts['web-app'].state === 'blocked').map(bucketLabel);
  if (noCors.length) {
    lines.push(
      `Activeloop's web app cannot read ${plural(noCors.length, 'bucket')} (no CORS rule for https://*.activeloop.ai): ${noCors.join(', ')}. Fix: set cors: true, or web-app: false if you do not use the web app.`,
    );
  }
  if (lines.length <= limit) return lines;
  const shown = lines.slice(0, Math.max(1, limit - 1));
  return [...shown, `${lines.length - shown.length} more access warnings are in the job summary.`];
}

function changeTable(changes: Change[]): string {
  const rows = changes.map(
    (c) => `| ${kindOf(c).icon} | ${c.action} | ${code(c.resource)} | ${cell(c.reason)} | ${c.drift ? '⚠️ yes' : ''} |`,
  );
  return ['| | change | resource | why | drift |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function headline(input: ReportInput): string {
  const n = input.changes.length;
  const role = code(input.roleName);
  if (input.failure) {
    const what = input.mode === 'destroy' ? 'Destroy' : 'Apply';
    return `❌ ${what} stopped by an error after ${plural(n, 'change')} to the role ${role}; ${input.failure.notMade.length} planned change${input.failure.notMade.length === 1 ? ' was' : 's were'} not made. Every state in between is harmless; the next run continues from here.`;
  }
  const drift = input.changes.filter((c) => c.drift).length;
  const driftNote = drift ? ` (${drift} to repair drift)` : '';
  if (n === 0) return `✅ ${nothingToDo(input.mode, role)}`;
  switch (input.mode) {
    case 'plan':
      return `📝 Plan: ${plural(n, 'change')} to the role ${role}${driftNote}. Nothing was changed.`;
    case 'apply':
      return `🚀 Applied ${plural(n, 'change')} to the role ${role}${driftNote}.`;
    case 'plan-destroy':
      return `📝 Plan: destroy would remove ${plural(n, 'thing')} made for the role ${role}. Nothing was changed.`;
    case 'destroy':
      return `🗑️ Removed ${plural(n, 'thing')} the action made for the role ${role}.`;
  }
}

/** The one sentence the log and the summary give when a run has nothing to change (`role` as it should read there). */
export function nothingToDo(mode: Mode, role: string): string {
  return removes(mode)
    ? `Nothing to remove: neither the role ${role} nor policies of this action exist.`
    : `In sync: the role ${role} matches the inputs; nothing to change.`;
}

/** A red check leads with why it is red, above the plan's own headline. */
function checkFailed(input: ReportInput): string[] {
  return input.checkFailures?.length ? [`❌ The check failed: ${input.checkFailures.join(' ')}`, ''] : [];
}

/** A trust policy that would let more in says so in the headline: an added principal, a dropped condition. */
function trustWidened(input: ReportInput): string[] {
  const widens = input.changes.flatMap((c) => (c.action === 'update-trust-policy' ? c.widens : []));
  if (!widens.length) return [];
  return ['', `⚠️ ${input.mode === 'apply' ? 'This run widened' : 'This plan widens'} the trust policy: it ${widens.join('; ')}.`];
}

const CHANGE_TABLE_TITLES: Record<Mode, string> = {
  apply: 'Changes made',
  plan: 'Changes `apply` would make',
  destroy: 'Removed',
  'plan-destroy': 'What `destroy` would remove',
};

/** Whether the changes give the trust policy another sts:ExternalId than it has. */
const externalIds = (doc: PolicyDocument) => documentFacts(doc).conditions.filter((c) => c.includes(' sts:ExternalId = '));

function externalIdChanges(changes: Change[]): boolean {
  return changes.some(
    (c) => c.action === 'update-trust-policy' && JSON.stringify(externalIds(c.previous)) !== JSON.stringify(externalIds(c.document)),
  );
}

/** The trust policy gains an external ID it did not have: the one Activeloop's connect wizard gave. */
function externalIdAdded(changes: Change[]): boolean {
  return changes.some((c) => c.action === 'update-trust-policy' && !externalIds(c.previous).length && externalIds(c.document).length > 0);
}

// IAM is eventually consistent: a new role can take up to a minute before sts:AssumeRole on it succeeds.
const WAIT_FOR_NEW_ROLE =
  'A new role can take up to a minute before it can be assumed: wait about a minute before verifying the credentials in Activeloop.';

/**
 * After destroy: the workflow that made the role makes it again on its next push or scheduled run (the action
 * keeps no state outside the account, so a missing role is a role to create).
 */
export function recreateWarning(mode: 'destroy' | 'plan-destroy'): string {
  return `The workflow that runs this action on push and on a schedule will create the role again, trusting Activeloop, on its next run: ${mode === 'destroy' ? 'delete' : 'with the destroy, delete'} the workflow file (or remove its push and schedule triggers) in the same change, right before or right after destroy.`;
}

/** What is left to do by hand: paste the role ARN into Activeloop, or, after destroy, remove it there too. */
function manualStep(input: ReportInput): string[] {
  if (removes(input.mode)) {
    return [
      '#### Remaining manual step',
      '',
      `${input.mode === 'plan-destroy' ? 'Once destroy has run, remove' : 'Remove'} the credentials in Activeloop too: in the Activeloop app, open your organization's managed credentials and delete the AWS credentials for`,
      '',
      `- Role ARN: ${code(input.roleArn)}`,
      '',
      `⚠️ ${recreateWarning(input.mode === 'plan-destroy' ? 'plan-destroy' : 'destroy')}`,
    ];
  }
  // A role is announced once it is usable: the run that creates it, or that finishes one a failed run began
  // (its first attachments recorded), gives the paste step; a run stopped before that does not.
  const makesUsable = (c: Change) => c.action === 'create-role' || (c.action === 'tag-role' && c.completes === true);
  const creates = input.changes.some(makesUsable);
  const externalId = input.externalId ? [`- External ID: ${code(input.externalId)}`] : [];
  if (input.failure?.notMade.some(makesUsable)) {
    return [
      '#### Remaining manual step',
      '',
      'Nothing to paste into Activeloop yet: the role is not ready, as this run stopped before it was complete. It will be ready after a run that succeeds, which then gives the role ARN to paste into Activeloop.',
    ];
  }
  if (!creates && input.createdConcurrently) {
    // Lost the race to create it: the role is as new as if this run had made it, so Activeloop may not have it yet.
    return [
      '#### Remaining manual step',
      '',
      `A concurrent run created the role while this one ran, and this run converged onto it. If Activeloop does not have it yet, paste the role ARN into Activeloop: in the Activeloop app, open your organization's managed credentials, add AWS credentials, and enter`,
      '',
      `- Role ARN: ${code(input.roleArn)}`,
      ...externalId,
      '',
      WAIT_FOR_NEW_ROLE,
    ];
  }
  if (!creates) {
    // The role existed before this run: Activeloop already has its ARN, so there is nothing to paste again.
    const once = input.mode === 'plan' ? 'once this plan is applied, ' : '';
    if (externalIdAdded(input.changes) && externalId.length) {
      return [
        '#### Remaining manual step',
        '',
        `The trust policy ${input.mode === 'plan' ? 'will require' : 'now requires'} the external ID. It must be the one Activeloop's connect wizard gave you for ${code(input.roleArn)}; when it is, there is nothing to change in Activeloop.`,
        '',
        ...externalId,
      ];
    }
    return externalIdChanges(input.changes)
      ? externalId.length
        ? [
            '#### Remaining manual step',
            '',
            `The external ID changes: ${once}update it in the AWS credentials Activeloop keeps for ${code(input.roleArn)}.`,
            '',
            ...externalId,
          ]
        : [
            '#### Remaining manual step',
            '',
            `The external ID is removed: ${once}remove it from the AWS credentials Activeloop keeps for ${code(input.roleArn)} (leave the external ID empty there).`,
          ]
      : [
          '#### Remaining manual step',
          '',
          `Nothing to do in Activeloop: this ${input.mode === 'plan' ? 'plan does' : 'run did'} not create the role, so the credentials Activeloop keeps for ${code(input.roleArn)} stay as they are.`,
        ];
  }
  if (input.changes.some((c) => c.action === 'create-role' && c.drift)) {
    // Recreated after a deletion: same name, same ARN, which Activeloop already has.
    return [
      '#### Remaining manual step',
      '',
      `The role was deleted outside this action and ${input.mode === 'plan' ? 'apply recreates' : 'is recreated'} with the same ARN ${code(input.roleArn)}, which Activeloop already has. ${WAIT_FOR_NEW_ROLE}`,
    ];
  }
  return [
    '#### Remaining manual step',
    '',
    `${input.mode === 'plan' ? 'After this plan is applied, paste' : 'Paste'} the role ARN into Activeloop, in whichever of its two flows you use:`,
    '',
    `- Role ARN: ${code(input.roleArn)}`,
    ...externalId,
    '',
    ...connectFlows(input.externalId !== undefined),
    '',
    WAIT_FOR_NEW_ROLE,
  ];
}

/**
 * Where the role ARN goes in Activeloop's two flows: Deeplake 4.x's "Connect AWS S3 Storage" wizard, which gives
 * the external ID (and requires one), and the legacy "Provisioning Role-Based Access" page (step 4), which has none.
 */
function connectFlows(withExternalId: boolean): string[] {
  return [
    withExternalId
      ? '- Deeplake 4.x, "Connect AWS S3 Storage": back in the wizard where you got the external ID, paste the role ARN; the external ID stays the one it gave you.'
      : '- Deeplake 4.x, "Connect AWS S3 Storage": the wizard gives an external ID and requires it; set the input external-id to it (for example the repository variable ACTIVELOOP_EXTERNAL_ID) and run again first, then paste the role ARN into the wizard.',
    `- Legacy "Provisioning Role-Based Access", step 4: in the Activeloop app, open your organization's managed credentials, add AWS credentials, and enter the role ARN${withExternalId ? ' and the external ID' : ''}.`,
  ];
}

/** The Markdown body for the job summary and the PR comment. */
export function renderReport(input: ReportInput): string {
  const redact = input.redact ?? ((t: string) => t);
  const parts: string[] = [
    `### Activeloop role: ${code(input.roleName)}`,
    '',
    ...checkFailed(input),
    headline(input),
    ...trustWidened(input),
    '',
  ];
  const accessLine = accessHeadline(input.access);
  if (accessLine) parts.push(accessLine, '');
  const keys = input.desired.kmsGrants.map((k) => code(k.keyArn)).join(', ') || 'none';
  if (removes(input.mode)) {
    // Destroy keeps no policy: name the ones it removes, not an empty list while they still exist.
    const removed = input.changes.filter((c) => c.action === 'delete-policy').map((c) => code(c.resource));
    const label = input.mode === 'destroy' ? 'Managed policies removed' : 'Managed policies destroy would remove';
    parts.push(`- **Role ARN**: ${code(input.roleArn)}\n- **${label}**: ${removed.join(', ') || 'none'}\n`);
  } else {
    parts.push(
      `- **Role ARN**: ${code(input.roleArn)}\n- **Managed policies**: ${input.policyArns.map(code).join(', ') || 'none'}\n- **KMS keys granted**: ${keys}\n`,
    );
  }

  // A bucket Deep Lake cannot use comes before the changes: it is what the reader must act on.
  const accessFirst = !!accessLine;
  if (accessFirst && input.access) parts.push(accessSection(input.access));
  if (input.changes.length) {
    parts.push(`#### ${CHANGE_TABLE_TITLES[input.mode]}\n`, changeTable(input.changes), ...documentSections(input.changes));
  }
  if (input.failure) {
    parts.push(`#### Error\n\n${input.failure.message}\n`);
    if (input.failure.notMade.length) parts.push('#### Planned changes not made\n', changeTable(input.failure.notMade));
  }
  if (input.warnings.length) parts.push(`#### Warnings\n\n${input.warnings.map((w) => `- ⚠️ ${w}`).join('\n')}\n`);
  if (input.buckets.length) parts.push(`#### Buckets\n\n${bucketTable(input.buckets)}\n`);
  if (input.access?.length && !accessFirst) parts.push(accessSection(input.access));
  parts.push(manualStep(input).join('\n'), '');
  return redact(parts.join('\n'));
}

const COMMENT_LIMIT = 65_536;

/** Caps a Markdown body under GitHub's comment limit, cutting at a line and saying so. */
export function capBody(body: string, limit = COMMENT_LIMIT - 1_000): string {
  if (body.length <= limit) return body;
  const note = "\n\n_… cut to fit GitHub's comment size limit; the job summary has the full plan._\n";
  const cut = body.lastIndexOf('\n', limit - note.length);
  let head = body.slice(0, cut > 0 ? cut : limit - note.length);
  // Close an open code block or details so the rest renders.
  if ((head.match(/^```/gm) ?? []).length % 2 === 1) head += '\n```';
  if ((head.match(/<details>/g) ?? []).length > (head.match(/<\/details>/g) ?? []).length) head += '\n\n</details>';
  return head + note;
}
