// The accounts sub-action (accounts/action.yml), one task per call:
//   matrix:  validates the settings list before any AWS call and outputs the matrix of one job per account;
//   record:  in an account's job, writes the action step's result to a file for the artifact the summary reads;
//   summary: in the last job, lists every account (job summary, and one PR comment on pull requests).
// The runner passes every input as an environment variable, at most 128 KiB each on Linux (MAX_ARG_STRLEN, else
// E2BIG before the action starts): so record takes the step's outcome and small outputs one by one (never its
// `access` output), and summary takes the accounts' labels, not the matrix with every account's buckets.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { type AccountLabel, accountLabels, accountsMatrix, parseAccounts } from './accounts.js';
import { InputError } from './inputs.js';
import { type AccountResult, accountResult, renderOrganizationSummary, renderSettingsFailure } from './organization-summary.js';
import { pullRequestTarget } from './pr-comment.js';
import { runUrl } from './publish.js';

const ACCOUNT_ID = /^\d{12}$/;

export async function runAccounts(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const task = core.getInput('task').trim() || 'matrix';
    if (task === 'matrix') return matrixTask();
    if (task === 'record') return recordTask(env);
    if (task === 'summary') return await summaryTask(env);
    throw new InputError('task', task, 'must be one of matrix, record, summary');
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

function matrixTask(): void {
  // First, so the summary can link this job even when the list fails validation below.
  const checkRun = checkRunId(core.getInput('job'));
  if (checkRun) core.setOutput('check-run-id', checkRun);
  const all = parseAccounts(core.getInput('accounts'));
  // A dispatch for one account (offboarding one, say): the list is still validated whole.
  const only = core.getInput('only-account').trim();
  const accounts = only && only !== 'all' ? all.filter((a) => a.account === only) : all;
  if (accounts.length === 0) throw new InputError('only-account', only, "must be 'all', empty, or an account ID of the settings list");
  const matrix = accountsMatrix(accounts);
  for (const a of accounts)
    core.info(
      `${a.account} (${a.name}): ${a.buckets.join(', ')}; apply role ${matrix.include.find((m) => m.account === a.account)?.['apply-role']}`,
    );
  core.setOutput('matrix', JSON.stringify(matrix));
  core.setOutput('accounts', JSON.stringify(accounts.map((a) => a.account)));
  core.setOutput('names', JSON.stringify(accountLabels(accounts)));
}

function recordTask(env: NodeJS.ProcessEnv): void {
  const account = core.getInput('account').trim();
  if (!ACCOUNT_ID.test(account))
    throw new InputError('account', account, 'must be the 12-digit AWS account ID of this job (matrix.account)');
  const run = runUrl(env);
  const checkRun = checkRunId(core.getInput('job'));
  const jobUrl = run && checkRun ? `${run}/job/${checkRun}` : undefined;
  const result = accountResult(
    account,
    {
      outcome: core.getInput('outcome'),
      changed: core.getInput('changed'),
      plan: core.getInput('plan'),
      roleArn: core.getInput('role-arn'),
    },
    jobUrl,
  );
  const dir = core.getInput('results').trim() || 'activeloop-results';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${account}.json`), JSON.stringify(result));
  core.info(`Recorded account ${account}: ${result.outcome}, ${result.plan.length} change(s), in ${join(dir, `${account}.json`)}.`);
}

/** The job's check run ID from `toJSON(job)` (GitHub's job context has `check_run_id` on github.com), or undefined. */
function checkRunId(jobJson: string): string | undefined {
  try {
    const id = (JSON.parse(jobJson) as { check_run_id?: unknown })?.check_run_id;
    return typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id)) ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The accounts to sum up, in order: the `names` output of the matrix task (`[{account, name}]`), or the `matrix`
 * output itself (which outgrows an input past a hundred-odd accounts with many buckets).
 */
function summaryAccounts(): AccountLabel[] {
  const names = core.getInput('names').trim();
  const input = names ? 'names' : 'matrix';
  const raw = names || core.getInput('matrix').trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InputError(input, raw.slice(0, 200), `must be the ${input} output of the accounts task (JSON)`);
  }
  const list = names ? parsed : (parsed as { include?: unknown })?.include;
  if (!Array.isArray(list) || !list.every((e) => ACCOUNT_ID.test(e?.account) && typeof e?.name === 'string'))
    throw new InputError(
      input,
      raw.slice(0, 200),
      `must be the ${input} output of the accounts task (${names ? '[{"account": ..., "name": ...}]' : '{"include": [{"account": ..., "name": ...}]}'})`,
    );
  return list.map((e) => ({ account: e.account, name: e.name }));
}

/** Every record in the folder, by account. A file that is not one is skipped with a warning. */
function readResults(dir: string): Map<string, AccountResult> {
  const results = new Map<string, AccountResult>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    core.warning(`No results folder ${dir}: no account's job recorded a result.`);
  }
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as AccountResult;
      if (ACCOUNT_ID.test(r.account) && Array.isArray(r.plan)) results.set(r.account, r);
      else core.warning(`${join(dir, f)} is not an account result; skipped.`);
    } catch {
      core.warning(`${join(dir, f)} is not readable JSON; skipped.`);
    }
  }
  return results;
}

async function summaryTask(env: NodeJS.ProcessEnv): Promise<void> {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const planning = eventName === 'pull_request' || eventName === 'pull_request_target';
  const settingsResult = core.getInput('settings-result').trim() || 'success';
  const run = runUrl(env);
  const settingsJob = core.getInput('settings-job').trim();
  let accounts: ReturnType<typeof summaryAccounts> = [];
  let results: ReturnType<typeof readResults> = new Map();
  let body: string;
  if (settingsResult === 'success') {
    accounts = summaryAccounts();
    results = readResults(core.getInput('results').trim() || 'activeloop-results');
    body = renderOrganizationSummary(accounts, results, { planning, runUrl: run });
  } else {
    // The settings list never became a matrix: say so in the same comment, so it keeps no earlier green table.
    body = renderSettingsFailure(settingsResult, run && /^\d+$/.test(settingsJob) ? `${run}/job/${settingsJob}` : run);
  }
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(body).write();
  else core.info(body);
  const prComment = core.getInput('pr-comment').trim() !== 'false';
  const token = core.getInput('github-token').trim();
  const target = planning && prComment ? pullRequestTarget(token) : undefined;
  if (target && token) {
    const { upsertOrganizationComment } = await import('./organization-comment.js');
    try {
      core.info(`PR comment ${await upsertOrganizationComment(target, body)} on #${target.issueNumber}.`);
    } catch (error) {
      core.warning(`Could not comment on PR #${target.issueNumber}: ${(error as Error).message}. The summary is in the job summary.`);
    }
  }
  const failed = accounts.filter((a) => results.get(a.account)?.outcome !== 'success').map((a) => a.account);
  core.setOutput('failed-accounts', JSON.stringify(failed));
}
