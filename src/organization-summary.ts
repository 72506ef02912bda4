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
  /** The role ARN output; empty when the run stopped before it knew the account. */
  roleArn: string;
  /** The `plan` output: the changes planned, or made in apply mode. */
  plan: PlanEntry[];
  /** The account's job page, when the runner gave its check run ID. */
  jobUrl?: string;
}

/** How one account stands after the run. */
export type AccountStatus = 'in-sync' | 'changes' | 'failed' | 'cancelled' | 'no-result';

const OUTCOMES: StepOutcome[] = ['success', 'failure', 'cancelled', 'skipped'];

/**
 * An account's result from the action step's context, `toJSON(steps.<id>)`: `{ outcome, conclusion, outputs }`.
 * Throws an Error naming what is wrong; an unreadable `plan` output counts as no change listed.
 */
export function accountResult(account: string, stepJson: string, jobUrl?: string): AccountResult {
  let step: { outcome?: unknown; outputs?: Record<string, unknown> };
  try {
    step = JSON.parse(stepJson);
  } catch {
    throw new Error(
      `role-step must be the action step's context as JSON, toJSON(steps.<id>) (got ${JSON.stringify(stepJson.slice(0, 80))})`,
    );
  }
  const outcome = OUTCOMES.find((o) => o === step?.outcome);
  if (!outcome)
    throw new Error(
      `role-step has no step outcome (success, failure, cancelled or skipped): is it toJSON(steps.<id>) of the action's step?`,
    );
  const outputs = step.outputs ?? {};
  let plan: PlanEntry[] = [];
  try {
    const parsed = JSON.parse(String(outputs.plan ?? '[]'));
    if (Array.isArray(parsed)) plan = parsed.filter((e) => e && typeof e.action === 'string' && typeof e.resource === 'string');
  } catch {
    plan = [];
  }
  return { account, outcome, roleArn: typeof outputs['role-arn'] === 'string' ? outputs['role-arn'] : '', plan, jobUrl };
}

/** The account's status: a failed step is failed whatever it did before stopping; no record means its job never got that far. */
export function statusOf(result: AccountResult | undefined): AccountStatus {
  if (!result) return 'no-result';
  if (result.outcome === 'failure') return 'failed';
  if (result.outcome === 'cancelled' || result.outcome === 'skipped') return 'cancelled';
  return result.plan.length ? 'changes' : 'in-sync';
}

const ICON: Record<AccountStatus, string> = { 'in-sync': '✅', changes: '📝', failed: '❌', cancelled: '⏹️', 'no-result': '❔' };

function statusText(status: AccountStatus, result: AccountResult | undefined, planning: boolean): string {
  const n = result?.plan.length ?? 0;
  const drift = result?.plan.some((e) => e.drift) ? ', drift' : '';
  switch (status) {
    case 'in-sync':
      return 'in sync';
    case 'changes':
      return `${n} change${n === 1 ? '' : 's'} ${planning ? 'planned' : 'made'}${drift}`;
    case 'failed':
      return n ? `failed after ${n} change${n === 1 ? '' : 's'}${drift}` : 'failed';
    case 'cancelled':
      return result?.outcome ?? 'cancelled';
    case 'no-result':
      return 'no result (its job stopped before the action ran)';
  }
}

/** Markdown-safe cell text: no pipe or newline breaks the table. */
const cell = (s: string) => s.replace(/[|\r\n]/g, ' ');

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
    const label = r.name === r.account ? `\`${r.account}\`` : `${cell(r.name)} (\`${r.account}\`)`;
    const link = r.result?.jobUrl ?? options.runUrl;
    lines.push(`| ${label} | ${ICON[r.status]} ${statusText(r.status, r.result, options.planning)} | ${link ? `[job](${link})` : ''} |`);
  }
  for (const r of rows.filter((x) => x.result?.plan.length)) {
    lines.push('', `#### ${cell(r.name)} (\`${r.account}\`)`, '');
    if (r.result?.roleArn) lines.push(`Role \`${r.result.roleArn}\``, '');
    for (const e of r.result?.plan ?? []) lines.push(`- \`${e.action}\` ${e.resource}: ${cell(e.reason)}${e.drift ? ' **(drift)**' : ''}`);
  }
  lines.push('', "Each account's job summary has its full plan (documents and access check).", '');
  return lines.join('\n');
}

/** The hidden marker of the organization's one PR comment (the account jobs run with pr-comment: false). */
export const ORGANIZATION_COMMENT_MARKER = '<!-- activeloop-role-action:organization -->';
