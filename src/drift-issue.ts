// One open issue per role for drift found by scheduled runs (spec behaviour 12), found by a hidden marker
// like the PR comment: updated on later drift, never duplicated, closed once a scheduled run finds the role in sync.
import * as github from '@actions/github';
import { isOwnComment } from './pr-comment.js';
import { capBody } from './report.js';

export function issueMarker(roleName: string): string {
  return `<!-- activeloop-role-action:drift-issue:role=${roleName} -->`;
}

export interface IssueTarget {
  token: string;
  owner: string;
  repo: string;
}

function issueBody(roleName: string, report: string, runUrl: string | undefined): string {
  const link = runUrl ? `\n\nFound by [this scheduled run](${runUrl}).` : '';
  return `${issueMarker(roleName)}\n${capBody(report)}${link}\n`;
}

/** The role's open drift issue: the marker in its body, opened by a bot (a person's issue quoting the marker is not it). */
async function findIssue(octokit: ReturnType<typeof github.getOctokit>, target: IssueTarget, roleName: string) {
  const marker = issueMarker(roleName);
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    owner: target.owner,
    repo: target.repo,
    state: 'open',
    per_page: 100,
  });
  return issues.find((i) => !i.pull_request && i.body?.includes(marker) && isOwnComment(i.user));
}

/** Opens the role's drift issue, or updates its body and adds a comment saying drift was found again. */
export async function upsertDriftIssue(
  target: IssueTarget,
  roleName: string,
  report: string,
  runUrl: string | undefined,
): Promise<{ result: 'created' | 'updated'; number: number }> {
  const octokit = github.getOctokit(target.token);
  const body = issueBody(roleName, report, runUrl);
  const open = await findIssue(octokit, target, roleName);
  if (!open) {
    const created = await octokit.rest.issues.create({
      owner: target.owner,
      repo: target.repo,
      title: `Activeloop role ${roleName} was changed outside activeloop-role-action (drift)`,
      body,
    });
    return { result: 'created', number: created.data.number };
  }
  await octokit.rest.issues.update({ owner: target.owner, repo: target.repo, issue_number: open.number, body });
  await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: open.number,
    body: `Drift found again${runUrl ? ` by ${runUrl}` : ''}; the issue now shows the latest drift report.`,
  });
  return { result: 'updated', number: open.number };
}

/** Closes the role's drift issue with a comment, when one is open. Returns its number, or undefined. */
export async function closeDriftIssue(target: IssueTarget, roleName: string, runUrl: string | undefined): Promise<number | undefined> {
  const octokit = github.getOctokit(target.token);
  const open = await findIssue(octokit, target, roleName);
  if (!open) return undefined;
  await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: open.number,
    body: `The role ${roleName} is in sync again${runUrl ? ` (${runUrl})` : ''}: closing.`,
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
