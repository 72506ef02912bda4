// The organization at a glance (spec behaviour 17): each account's job records its result in a file (uploaded as an
// artifact: a matrix job's outputs are not readable per leg), and a last job reads them all and lists every account of
// the settings list as in sync, changed, or failed, with a link to its job. Pure; src/accounts-main.ts does the I/O.
import type { MatrixEntry } from './accounts.js';
import type { PlanEntry } from './report.js';

/** A step's conclusion as GitHub gives it in `steps.<id>.outcome`. */
export type StepOutcome = 'success' | 'failure' | 'cancelled' | 'skipped';

/** What one account's job leaves for the summary. */
export interface AccountResult {
  account: string;
  /** The action step's outcome (before continue-on-error). */
  outcome: StepOutcome;
  /** The `changed` output: apply changed something, or plan found something to change. */
  changed: boolean;
  /** The role ARN output; empty when the run stopped before it knew the account. */
  roleArn: string;
  /** The `plan` output: the changes planned, or made in apply mode (at most MAX_PLAN_ENTRIES kept). */
  plan: PlanEntry[];
  /** Changes the plan output listed beyond those kept. */
  more?: number;
  /** The account's job page, when the runner gave its check run ID. */
  jobUrl?: string;
}

/** The action step's results, each passed as its own input (`steps.<id>.outcome`, `.outputs.changed`, ...). */
export interface StepResults {
  outcome: string;
  changed?: string;
  plan?: string;
  roleArn?: string;
}

/** How one account stands after the run. */
export type AccountStatus = 'in-sync' | 'changes' | 'failed' | 'cancelled' | 'no-result';

const OUTCOMES: StepOutcome[] = ['success', 'failure', 'cancelled', 'skipped'];
/** Changes kept per account: a role has a handful (its policies, trust, tags); more is not worth a comment row. */
export const MAX_PLAN_ENTRIES = 50;
const MAX_TEXT = 500;
// What the record keeps is shown in Markdown: a role ARN, a change's kind and a job link have fixed shapes.
const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const CHANGE_KIND = /^[a-z][a-z-]{0,63}$/;
const JOB_URL = /^https:\/\/[^\s()<>[\]"'`]{1,500}$/;

/**
 * An account's result from the action step's outcome and outputs. Throws an Error naming `outcome` when it is not
 * a step outcome; an unreadable `plan` output counts as no change listed (`changed` still tells).
 */
export function accountResult(account: string, step: StepResults, jobUrl?: string): AccountResult {
  const outcome = OUTCOMES.find((o) => o === step.outcome.trim());
  if (!outcome)
    throw new Error(
      `Input 'outcome' must be the action step's outcome, steps.<id>.outcome: success, failure, cancelled or skipped (got ${JSON.stringify(step.outcome.slice(0, 80))})`,
    );
  let listed: PlanEntry[] = [];
  try {
    const parsed = JSON.parse(step.plan?.trim() || '[]');
    if (Array.isArray(parsed))
      listed = parsed
        .filter((e) => e && typeof e.action === 'string' && CHANGE_KIND.test(e.action) && typeof e.resource === 'string')
        .map((e) => ({
          action: e.action,
          resource: String(e.resource).slice(0, MAX_TEXT),
          reason: typeof e.reason === 'string' ? e.reason.slice(0, MAX_TEXT) : '',
          drift: e.drift === true,
        }));
  } catch {
    listed = [];
  }
  const plan = listed.slice(0, MAX_PLAN_ENTRIES);
  const roleArn = step.roleArn?.trim() ?? '';
  return {
    account,
    outcome,
    changed: step.changed?.trim() === 'true' || listed.length > 0,
    roleArn: ROLE_ARN.test(roleArn) ? roleArn : '',
    plan,
    ...(listed.length > plan.length ? { more: listed.length - plan.length } : {}),
    jobUrl: jobUrl && JOB_URL.test(jobUrl) ? jobUrl : undefined,
  };
}

/** The account's status: a failed step is failed whatever it did before stopping; no record means its job never got that far. */
export function statusOf(result: AccountResult | undefined): AccountStatus {
  if (!result) return 'no-result';
  if (result.outcome === 'failure') return 'failed';
  if (result.outcome === 'cancelled' || result.outcome === 'skipped') return 'cancelled';
  return result.plan.length || result.changed ? 'changes' : 'in-sync';
}

const ICON: Record<AccountStatus, string> = { 'in-sync': '✅', changes: '📝', failed: '❌', cancelled: '⏹️', 'no-result': '❔' };

function statusText(status: AccountStatus, result: AccountResult | undefined, planning: boolean): string {
  const n = (result?.plan.length ?? 0) + (result?.more ?? 0);
  const drift = result?.plan.some((e) => e.drift) ? ', drift' : '';
  switch (status) {
    case 'in-sync':
      return 'in sync';
    case 'changes':
      return n ? `${n} change${n === 1 ? '' : 's'} ${planning ? 'planned' : 'made'}${drift}` : planning ? 'changes planned' : 'changed';
    case 'failed':
      return n ? `failed after ${n} change${n === 1 ? '' : 's'}${drift}` : 'failed';
    case 'cancelled':
      return result?.outcome ?? 'cancelled';
    case 'no-result':
      return 'no result (its job stopped before the action ran)';
  }
}

/**
 * Text from outputs or settings as inert Markdown on one line: HTML's `& < >` as entities, the punctuation of
 * emphasis, code, links, images, strikethrough and table cells backslash-escaped (CommonMark lets any ASCII
 * punctuation be), line breaks as spaces. So a reason, a resource or a name can neither break the table nor add
 * a link, an image or a tag. (Never at a line's start here, so `#`, `-` and `1.` cannot open a block.)
 */
export function markdownText(s: string): string {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
  return s
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/[&<>]/g, (c) => entities[c])
    .replace(/[\\`*_[\]()!|~]/g, '\\$&');
}

/**
 * The summary of every account of the matrix, in its order, with each account's changes. `planning`: a pull
 * request's run (changes are planned, not made). `runUrl` links accounts whose job URL is not known.
 */
export function renderOrganizationSummary(
  accounts: Pick<MatrixEntry, 'account' | 'name'>[],
  results: Map<string, AccountResult>,
  options: { planning: boolean; runUrl?: string },
): string {
  const rows = accounts.map((a) => ({ ...a, result: results.get(a.account), status: statusOf(results.get(a.account)) }));
  const count = (s: AccountStatus) => rows.filter((r) => r.status === s).length;
  const lines = [
    `### Activeloop roles in ${accounts.length} account${accounts.length === 1 ? '' : 's'}`,
    '',
    [
      `${count('in-sync')} in sync`,
      `${count('changes')} with changes ${options.planning ? 'planned' : 'made'}`,
      `${count('failed') + count('no-result') + count('cancelled')} failed or without a result`,
    ].join(' · '),
    '',
    '| account | status | details |',
    '| --- | --- | --- |',
  ];
  for (const r of rows) {
    const label = r.name === r.account ? `\`${r.account}\`` : `${markdownText(r.name)} (\`${r.account}\`)`;
    const link = r.result?.jobUrl ?? options.runUrl;
    lines.push(`| ${label} | ${ICON[r.status]} ${statusText(r.status, r.result, options.planning)} | ${link ? `[job](${link})` : ''} |`);
  }
  for (const r of rows.filter((x) => x.result?.plan.length)) {
    lines.push('', `#### ${markdownText(r.name)} (\`${r.account}\`)`, '');
    if (r.result?.roleArn) lines.push(`Role \`${r.result.roleArn}\``, '');
    for (const e of r.result?.plan ?? [])
      lines.push(`- \`${e.action}\` ${markdownText(e.resource)}: ${markdownText(e.reason)}${e.drift ? ' **(drift)**' : ''}`);
    if (r.result?.more) lines.push(`- and ${r.result.more} more (the account's job summary lists them)`);
  }
  lines.push('', "Each account's job summary has its full plan (documents and access check).", '');
  return lines.join('\n');
}

/** The hidden marker of the organization's one PR comment (the account jobs run with pr-comment: false). */
export const ORGANIZATION_COMMENT_MARKER = '<!-- activeloop-role-action:organization -->';

/**
 * The summary when the settings list never became a matrix (its job failed, or was cancelled): no account ran,
 * so the one comment must not keep an earlier run's green table. `result` is `needs.<job>.result`; `jobUrl`
 * links the settings job, whose error names the entry and value.
 */
export function renderSettingsFailure(result: string, jobUrl?: string): string {
  const link = jobUrl && JOB_URL.test(jobUrl) ? ` ([its job](${jobUrl}))` : '';
  const failed = result === 'failure';
  const what = failed ? 'failed validation' : `did not complete (${markdownText(result || 'no result')})`;
  return [
    `### Activeloop roles: the settings list ${what}`,
    '',
    `❌ The accounts job${link} ${failed ? 'refused the settings list before any AWS call: its error names the entry and the value' : 'stopped before it gave the matrix'}. ` +
      'No account was planned or applied in this run; fix the list and push again.',
    '',
  ].join('\n');
}
