// The organization's one comment on a pull request, found by its hidden marker and updated in place, like each
// role's own comment (src/pr-comment.ts): the account jobs run with pr-comment: false, and this holds them all.
import * as github from '@actions/github';
import { ORGANIZATION_COMMENT_MARKER } from './organization-summary.js';
import { type CommentResult, type CommentTarget, isOwnComment, tokenLogin } from './pr-comment.js';
import { capBody } from './report.js';

/** Creates or updates the organization's comment: the token's own comment carrying the marker, found on any page. */
export async function upsertOrganizationComment(target: CommentTarget, body: string): Promise<CommentResult> {
  const octokit = github.getOctokit(target.token);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const self = await tokenLogin(octokit);
  const mine = comments.find((c) => isOwnComment(c.user, self) && c.body?.startsWith(ORGANIZATION_COMMENT_MARKER));
  const full = `${ORGANIZATION_COMMENT_MARKER}\n${capBody(body)}`;
  if (!mine) {
    await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: full });
    return 'created';
  }
  if (mine.body === full) return 'unchanged';
  await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body: full });
  return 'updated';
}
