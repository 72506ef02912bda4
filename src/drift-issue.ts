// One open issue per role for drift found by scheduled runs (spec behaviour 12), found by a hidden marker
// like the PR comment: updated on later drift, never duplicated, closed once a scheduled run finds the role in sync.
import * as github from '@actions/github';
import { isOwnComment, tokenLogin } from './pr-comment.js';
import { shortHash } from './record.js';
import { capBody } from './report.js';

/** The hidden marker of a role's issue. The role ARN's hash tells apart roles of one name in several accounts. */
export function issueMarker(roleName: string, roleArn: string): string {
  return `<!-- activeloop-role-action:drift-issue:role=${roleName}:${shortHash(roleArn)} -->`;
}

/**
 * Which role an issue is about: its name and ARN (the ARN only hashed in the marker, so mask-account-id holds),
 * and `redact`, which hides the account ID in the title under mask-account-id.
 */
export interface IssueRole {
  name: string;
  arn: string;
  redact?: (text: string) => string;
}

/**
 * The issue's title names the role and its account, so two accounts' issues for one role name are told apart;
 * with the account masked, the ARN's hash (as in the marker) tells them apart instead.
 */
export function issueTitle(role: IssueRole): string {
  const account = role.arn.split(':')[4] ?? '';
  const shown = role.redact ? role.redact(account) : account;
  const where = account ? ` in account ${shown}${shown === account ? '' : ` (${shortHash(role.arn)})`}` : '';
  return `Activeloop role ${role.name}${where} was changed outside activeloop-role-action (drift)`;
}

export interface IssueTarget {
  token: string;
  owner: string;
  repo: string;
}

function issueBody(role: IssueRole, report: string, runUrl: string | undefined): string {
  const link = runUrl ? `\n\nFound by [this scheduled run](${runUrl}).` : '';
  return `${issueMarker(role.name, role.arn)}\n${capBody(report)}${link}\n`;
}

/** The role's open drift issue: the marker in its body, opened by the token's own identity (anyone else's issue quoting the marker is not it). */
async function findIssue(octokit: ReturnType<typeof github.getOctokit>, target: IssueTarget, role: IssueRole) {
  const marker = issueMarker(role.name, role.arn);
  const self = await tokenLogin(octokit);
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    owner: target.owner,
    repo: target.repo,
    state: 'open',
    per_page: 100,
  });
  return issues.find((i) => !i.pull_request && i.body?.includes(marker) && isOwnComment(i.user, self));
}

/** Opens the role's drift issue, or updates its body and adds a comment saying drift was found again. */
export async function upsertDriftIssue(
  target: IssueTarget,
  role: IssueRole,
  report: string,
  runUrl: string | undefined,
): Promise<{ result: 'created' | 'updated'; number: number }> {
  const octokit = github.getOctokit(target.token);
  const body = issueBody(role, report, runUrl);
  const open = await findIssue(octokit, target, role);
  if (!open) {
    const created = await octokit.rest.issues.create({
      owner: target.owner,
      repo: target.repo,
      title: issueTitle(role),
      body,
    });
    return { result: 'created', number: created.data.number };
  }
  await octokit.rest.issues.update({ owner: target.owner, repo: target.repo, issue_number: open.number, title: issueTitle(role), body });
  await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: open.number,
    body: `Drift found again${runUrl ? ` by ${runUrl}` : ''}; the issue now shows the latest drift report.`,
  });
  return { result: 'updated', number: open.number };
}

/** The token may not read the repository's issues (HTTP 403 or 404): no issue can be found to close. */
export class IssuesUnreadableError extends Error {
  constructor(readonly status: number) {
    super(`the token cannot read issues (HTTP ${status})`);
    this.name = 'IssuesUnreadableError';
  }
}

/**
 * Closes the role's drift issue with a comment, when one is open. Returns its number, or undefined. Throws
 * IssuesUnreadableError when the issues cannot be listed, so a run with nothing to close need not warn.
 */
export async function closeDriftIssue(target: IssueTarget, role: IssueRole, runUrl: string | undefined): Promise<number | undefined> {
  const octokit = github.getOctokit(target.token);
  let open: Awaited<ReturnType<typeof findIssue>>;
  try {
    open = await findIssue(octokit, target, role);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404) throw new IssuesUnreadableError(status);
    throw error;
  }
  if (!open) return undefined;
  await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: open.number,
    body: `The role ${role.name} is in sync again${runUrl ? ` (${runUrl})` : ''}: closing.`,
  });
  await octokit.rest.issues.update({
    owner: target.owner,
    repo: target.repo,
    issue_number: open.number,
    state: 'closed',
    state_reason: 'completed',
  });
  return open.number;
}
