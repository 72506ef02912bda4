// What a run tells GitHub: step outputs, log lines, the job summary, the PR comment, the drift issue, and
// the decisions to fail the step. The deciders are pure; the GitHub client is loaded only when a run comments.
import * as core from '@actions/core';
import { type BucketAccess, blockedBuckets } from './access.js';
import type { Env } from './aws.js';
import type { Change } from './changes.js';
import type { DesiredState } from './desired.js';
import { ActionError, errorName } from './errors.js';
import { ExternalIdGuardError } from './guards.js';
import { DEFAULT_ROLE_NAME, InputError, type Inputs, type Mode, type ModeChoice, writes } from './inputs.js';
import type { BucketEncryption } from './read.js';
import { accessWarnings, nothingToDo, planEntries, recreateWarning, renderReport, WARNING_LIMIT } from './report.js';

/** The run's log. With mask-account-id, every line hides the account IDs it has been told about. */
export class Log {
  private readonly accounts = new Set<string>();
  private enabled = false;

  mask(enabled: boolean, ...accounts: (string | undefined)[]): void {
    this.enabled ||= enabled;
    for (const a of accounts) if (a && /^\d{12}$/.test(a)) this.accounts.add(a);
  }

  redact = (text: string): string => {
    if (!this.enabled) return text;
    let out = text;
    for (const a of this.accounts) out = out.split(a).join('************');
    return out;
  };

  info(text: string): void {
    core.info(this.redact(text));
  }

  warning(text: string): void {
    core.warning(this.redact(text));
  }

  fail(text: string): void {
    core.setFailed(this.redact(text));
  }
}

/** What a run found and did, as publishing needs it. */
export interface RunResult {
  inputs: Inputs;
  roleArn: string;
  policyArns: string[];
  desired: DesiredState;
  /** What the first plan found: drift is judged on it, also when apply stopped half-way. */
  planned: Change[];
  /** Apply: the changes made. Plan: the changes planned. */
  reported: Change[];
  buckets: BucketEncryption[];
  access?: BucketAccess[];
  warnings: string[];
  /** Apply stopped on this error; `notMade` is what it did not get to. */
  error?: ActionError;
  notMade: Change[];
}

/** The log's first line: which mode runs, and why. */
export function modeLine(choice: ModeChoice): string {
  return choice.requested === 'auto' ? `mode: auto picked ${choice.mode}: ${choice.reason}.` : `mode: ${choice.mode} (${choice.reason}).`;
}

/**
 * fail-on-drift: the message to fail with, or undefined. Only drift counts (something the action made was
 * changed outside it since it last wrote it); a change of the inputs never does, in any mode.
 */
export function driftFailure(mode: Mode, failOnDrift: boolean, roleName: string, changes: Change[]): string | undefined {
  // Destroy removes on purpose: nothing there is drift.
  if (!failOnDrift || mode === 'destroy' || mode === 'plan-destroy') return undefined;
  const drift = changes.filter((c) => c.drift);
  if (drift.length === 0) return undefined;
  const what = drift.map((c) => `${c.action} ${c.resource}`).join(', ');
  return writes(mode)
    ? `fail-on-drift: the role ${roleName} had drifted (changed outside this action): ${drift.length} change(s) put it back: ${what}. See the job summary.`
    : `fail-on-drift: the role ${roleName} has drifted (changed outside this action): ${drift.length} change(s) would put it back: ${what}. See the job summary.`;
}

/** The reasons the step fails although the run itself went through: fail-on-drift and access-check: fail. */
export function checkFailures(
  inputs: Pick<Inputs, 'mode' | 'failOnDrift' | 'roleName' | 'accessCheck'>,
  planned: Change[],
  access: BucketAccess[] | undefined,
): string[] {
  const failures: string[] = [];
  const drift = driftFailure(inputs.mode, inputs.failOnDrift, inputs.roleName, planned);
  if (drift) failures.push(drift);
  const blocked = blockedBuckets(access ?? []);
  if (inputs.accessCheck === 'fail' && blocked.length) {
    failures.push(
      `access-check: Activeloop cannot fully use ${blocked.length} bucket(s): ${blocked.join(', ')} (see the warnings and the job summary).`,
    );
  }
  return failures;
}

export type DriftIssueStep = 'open-or-update' | 'close' | 'none';

/**
 * What a run does with the role's drift issue (spec behaviour 12). Only scheduled runs keep it, whatever the
 * mode (auto, apply or plan; not destroy): drift found opens or updates it, also when the run repaired it;
 * a clean run closes it; a run that failed without finding drift leaves it as it is.
 */
export function driftIssueStep(event: { name: string; mode: Mode; driftFound: boolean; failed: boolean }): DriftIssueStep {
  if (event.name !== 'schedule' || event.mode === 'destroy' || event.mode === 'plan-destroy') return 'none';
  if (event.driftFound) return 'open-or-update';
  return event.failed ? 'none' : 'close';
}

/** Whether the run keeps the PR's sticky comment: a plan on a pull-request event with pr-comment on. */
export function commentsOnPullRequest(eventName: string, mode: Mode, prComment: boolean): boolean {
  return prComment && !writes(mode) && (eventName === 'pull_request' || eventName === 'pull_request_target');
}

/** The run's URL, for the drift issue. */
export function runUrl(env: Env): string | undefined {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
}

/** Publishes a run that got as far as a plan (and, in apply mode, through or part of its apply). */
export async function publish(result: RunResult, env: Env, log: Log): Promise<void> {
  const { inputs } = result;
  const failures = result.error ? [] : checkFailures(inputs, result.planned, result.access);
  const body = renderReport({
    mode: inputs.mode,
    roleName: inputs.roleName,
    roleArn: result.roleArn,
    policyArns: result.policyArns,
    changes: result.reported,
    desired: result.desired,
    buckets: result.buckets,
    access: result.access,
    warnings: result.warnings,
    externalId: inputs.externalId,
    redact: log.redact,
    failure: result.error && { message: result.error.message, notMade: result.notMade },
    checkFailures: failures,
    createdConcurrently:
      writes(inputs.mode) &&
      result.planned.some((c) => c.action === 'create-role') &&
      !result.reported.some((c) => c.action === 'create-role'),
  });

  const made = result.reported;
  // A half-way apply still sets the outputs for what it made, and logs each change it made.
  core.setOutput('role-arn', result.roleArn);
  core.setOutput('policy-arn', result.policyArns[0] ?? '');
  core.setOutput('policy-arns', JSON.stringify(result.policyArns));
  core.setOutput('changed', String(made.length > 0));
  core.setOutput('plan', JSON.stringify(planEntries(made)));
  core.setOutput('kms-key-arns', JSON.stringify(result.desired.kmsGrants.map((g) => g.keyArn)));
  core.setOutput('access', JSON.stringify(Object.fromEntries((result.access ?? []).map((a) => [a.bucket, a.verdicts]))));

  // Buckets Activeloop cannot use come first: GitHub shows 10 warning annotations per step.
  for (const w of accessWarnings(result.access ?? [], WARNING_LIMIT - result.warnings.length)) log.warning(w);
  for (const w of result.warnings) log.warning(w);
  for (const c of made) {
    log.info(`${writes(inputs.mode) ? 'applied' : 'planned'}: ${c.action} ${c.resource} (${c.reason})${c.drift ? ' [drift]' : ''}`);
    if (c.action === 'update-trust-policy' && c.widens.length)
      log.warning(
        `The trust policy of ${inputs.roleName} ${writes(inputs.mode) ? 'was widened' : 'would be widened'}: it ${c.widens.join('; ')}.`,
      );
  }
  if (made.length === 0 && !result.error) log.info(nothingToDo(inputs.mode, inputs.roleName));
  if (inputs.mode === 'destroy' && !result.error) log.warning(recreateWarning('destroy'));
  log.info(`Role ARN: ${result.roleArn}`);

  await writeSummary(env, log, body);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  if (commentsOnPullRequest(eventName, inputs.mode, inputs.prComment))
    await commentOnPullRequest(inputs.githubToken, { name: inputs.roleName, arn: result.roleArn }, body, log);
  const driftFound = result.planned.some((c) => c.drift);
  const step = driftIssueStep({ name: eventName, mode: inputs.mode, driftFound, failed: result.error !== undefined });
  if (step !== 'none')
    await keepDriftIssue(step, inputs.githubToken, { name: inputs.roleName, arn: result.roleArn, redact: log.redact }, body, env, log);

  if (result.error) log.fail(result.error.message);
  for (const f of failures) log.fail(f);
}

/**
 * Publishes a run that stopped before it had a plan (bad input, a bucket that cannot be read, the external-ID
 * guard): the job summary and the PR comment say the check failed and why, so neither keeps an earlier green plan.
 */
export async function publishFailure(error: unknown, inputs: Inputs | undefined, env: Env, log: Log): Promise<void> {
  const message =
    error instanceof InputError || error instanceof ActionError
      ? error.message
      : `Unexpected error${inputs ? ` for role ${inputs.roleName}` : ''}: ${errorName(error)}: ${error instanceof Error ? error.message : String(error)}`;
  log.fail(message);
  const roleName = inputs?.roleName ?? (core.getInput('role-name').trim() || DEFAULT_ROLE_NAME);
  const body = log.redact(failureReport(roleName, message));
  await writeSummary(env, log, body);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  // Without valid inputs, the comment follows what the mode and pr-comment inputs say as written.
  const rawMode = core.getInput('mode').trim();
  const comments = inputs
    ? commentsOnPullRequest(eventName, inputs.mode, inputs.prComment)
    : (rawMode === 'plan' || rawMode === 'auto') &&
      core.getInput('pr-comment').trim() !== 'false' &&
      commentsOnPullRequest(eventName, 'plan', true);
  const token = inputs?.githubToken ?? core.getInput('github-token').trim();
  // The guard knows the role ARN; an earlier failure may not know the account yet.
  const roleArn = error instanceof ExternalIdGuardError ? error.roleArn : undefined;
  if (comments) await commentOnPullRequest(token, { name: roleName, arn: roleArn }, body, log);
  // The guard that stops a run whose trust policy lost its external ID outside the action has found drift.
  if (inputs && error instanceof ExternalIdGuardError && error.drift) {
    const step = driftIssueStep({ name: eventName, mode: inputs.mode, driftFound: true, failed: true });
    if (step !== 'none') await keepDriftIssue(step, token, { name: roleName, arn: error.roleArn, redact: log.redact }, body, env, log);
  }
}

/** The short report of a run that stopped before a plan. */
export function failureReport(roleName: string, message: string): string {
  return [
    `### Activeloop role: \`${roleName}\``,
    '',
    `❌ The check failed before a plan was made; nothing was changed.`,
    '',
    '#### Error',
    '',
    message,
    '',
  ].join('\n');
}

async function writeSummary(env: Env, log: Log, body: string): Promise<void> {
  // Outside a runner (a local run) there is no job summary file: the report goes to the log instead.
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(body).write();
  else log.info(`No job summary file (GITHUB_STEP_SUMMARY); the report:\n${body}`);
}

async function commentOnPullRequest(token: string, role: { name: string; arn?: string }, body: string, log: Log): Promise<void> {
  // Loaded only here: the GitHub client is a fair part of the bundle, and most runs never comment.
  const { pullRequestTarget, upsertPlanComment } = await import('./pr-comment.js');
  const target = pullRequestTarget(token);
  if (!target) return;
  if (!token) {
    log.warning('pr-comment is on but github-token is empty; the plan is in the job summary only.');
    return;
  }
  try {
    const result = await upsertPlanComment(target, role, body);
    log.info(`PR comment ${result} on #${target.issueNumber}.`);
  } catch (error) {
    const status = (error as { status?: number }).status;
    // Fork PRs get a read-only token: the plan is still in the job summary, and the check does not fail for that.
    log.warning(
      status === 403 || status === 404
        ? `Could not comment on PR #${target.issueNumber} (HTTP ${status}): the token cannot write to pull requests (a fork, or missing "permissions: pull-requests: write"). The plan is in the job summary.`
        : `Could not comment on PR #${target.issueNumber}: ${(error as Error).message}. The plan is in the job summary.`,
    );
  }
}

async function keepDriftIssue(
  step: Exclude<DriftIssueStep, 'none'>,
  token: string,
  role: { name: string; arn: string; redact: (text: string) => string },
  body: string,
  env: Env,
  log: Log,
): Promise<void> {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = repository.split('/');
  if (!token || !owner || !repo) {
    if (step === 'open-or-update')
      log.warning(
        'Drift was found, but without github-token or GITHUB_REPOSITORY no issue can be kept; the drift report is in the job summary.',
      );
    return;
  }
  // Loaded only here, like the PR comment: only scheduled runs keep an issue.
  const { closeDriftIssue, IssuesUnreadableError, upsertDriftIssue } = await import('./drift-issue.js');
  const target = { token, owner, repo };
  const url = runUrl(env);
  try {
    if (step === 'open-or-update') {
      const { result, number } = await upsertDriftIssue(target, role, body, url);
      log.info(`Drift issue #${number} ${result}.`);
    } else {
      const closed = await closeDriftIssue(target, role, url);
      if (closed) log.info(`Drift issue #${closed} closed: the role is in sync.`);
    }
  } catch (error) {
    // In sync, and no issue could be looked up: nothing to report or close, so no warning; the how-to, once.
    if (error instanceof IssuesUnreadableError) {
      log.info(
        `No drift issue was looked up (HTTP ${error.status}): the token cannot read issues. To have scheduled runs keep drift in an issue, add "permissions: issues: write" to the workflow.`,
      );
      return;
    }
    const status = (error as { status?: number }).status;
    log.warning(
      status === 403 || status === 404
        ? `Could not ${step === 'close' ? 'close' : 'open or update'} the drift issue (HTTP ${status}): the token cannot write issues (add "permissions: issues: write"). The drift report is in the job summary.`
        : `Could not ${step === 'close' ? 'close' : 'open or update'} the drift issue: ${(error as Error).message}. The drift report is in the job summary.`,
    );
  }
}
