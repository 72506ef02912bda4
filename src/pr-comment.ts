// One comment per role on the pull request, found by a hidden marker and updated in place.
import * as github from '@actions/github';
import { capBody } from './report.js';

export function commentMarker(roleName: string): string {
  return `<!-- activeloop-role-action:role=${roleName} -->`;
}

export interface CommentTarget {
  token: string;
  owner: string;
  repo: string;
  issueNumber: number;
}

export type CommentResult = 'created' | 'updated' | 'unchanged';

/**
 * Whether a comment or issue is the action's own: written by a bot (the workflow's GITHUB_TOKEN writes as
 * github-actions[bot]). A person's comment that quotes the marker is left alone.
 */
export function isOwnComment(user: { login?: string; type?: string } | null | undefined): boolean {
  return user?.type === 'Bot' || user?.login === 'github-actions[bot]';
}

/** Creates or updates the role's comment. Pages through all comments, so an old PR's comment is found too. */
export async function upsertPlanComment(target: CommentTarget, roleName: string, body: string): Promise<CommentResult> {
  const octokit = github.getOctokit(target.token);
  const marker = commentMarker(roleName);
  const full = `${marker}\n${capBody(body)}`;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const mine = comments.find((c) => c.body?.includes(marker) && isOwnComment(c.user));
  if (!mine) {
    await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: full });
    return 'created';
  }
  if (mine.body === full) return 'unchanged';
  await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body: full });
  return 'updated';
}

/** The PR this run belongs to, on pull_request and pull_request_target events. */
export function pullRequestTarget(token: string): CommentTarget | undefined {
  const { eventName, payload } = github.context;
  if (eventName !== 'pull_request' && eventName !== 'pull_request_target') return undefined;
  const number = payload.pull_request?.number;
  if (typeof number !== 'number') return undefined;
  // context.repo throws without GITHUB_REPOSITORY, so it is read only on pull-request events.
  const { owner, repo } = github.context.repo;
  return { token, owner, repo, issueNumber: number };
}
