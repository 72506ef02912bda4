// The organization's one comment on a pull request, found by its hidden marker and updated in place, like each
// role's own comment (src/pr-comment.ts): the account jobs run with pr-comment: false, and this holds them all.
import { ORGANIZATION_COMMENT_MARKER } from './organization-summary.js';
import { type CommentResult, type CommentTarget, ownComments } from './pr-comment.js';

/** Creates or updates the organization's comment: the token's own comment carrying the marker, found on any page. */
export async function upsertOrganizationComment(target: CommentTarget, body: string): Promise<CommentResult> {
  const { own, write } = await ownComments(target);
  return write(
    ORGANIZATION_COMMENT_MARKER,
    body,
    own.find((c) => c.body?.startsWith(ORGANIZATION_COMMENT_MARKER)),
  );
}
