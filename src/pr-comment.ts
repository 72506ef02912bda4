// One comment per role on the pull request, found by a hidden marker and updated in place.
import * as github from '@actions/github';
import { shortHash } from './record.js';
import { capBody } from './report.js';

/** The login the workflow's GITHUB_TOKEN writes as. */
export const WORKFLOW_TOKEN_LOGIN = 'github-actions[bot]';

/** The hidden marker of a role's comment. The role ARN's hash tells apart roles of one name in several accounts. */
export function commentMarker(roleName: string, roleArn: string): string {
  return `<!-- activeloop-role-action:role=${roleName}:${shortHash(roleArn)} -->`;
}

/** The marker of earlier versions, by role name only: still found, so an open PR does not get a second comment. */
export function legacyCommentMarker(roleName: string): string {
  return `<!-- activeloop-role-action:role=${roleName} -->`;
}

export interface CommentTarget {
  token: string;
  owner: string;
  repo: string;
  issueNumber: number;
}

export type CommentResult = 'created' | 'updated' | 'unchanged';

type Octokit = ReturnType<typeof github.getOctokit>;

/**
 * The login the token acts as: GET /user's for a token that may read it (a personal access token); the
 * workflow's GITHUB_TOKEN may not (HTTP 403) and writes as github-actions[bot].
 */
export async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    if (typeof (error as { status?: unknown }).status === 'number') return WORKFLOW_TOKEN_LOGIN;
    throw error;
  }
}

/**
 * Whether a comment or issue is the action's own: written by the identity the token acts as. A person's or
 * another bot's (renovate[bot], dependabot[bot]) comment that quotes the marker is left alone.
 */
export function isOwnComment(user: { login?: string } | null | undefined, self: string): boolean {
  return user?.login?.toLowerCase() === self.toLowerCase();
}

type OwnComment = { id: number; body?: string | null };

/**
 * The token's own comments on the pull request, every page (so an old PR's comment is found too), and a writer
 * that creates a comment, or updates an existing one whose body differs, with `marker` on its first line and the
 * body capped under GitHub's 65,536 characters.
 */
export async function ownComments(target: CommentTarget): Promise<{
  own: OwnComment[];
  write: (marker: string, body: string, existing: OwnComment | undefined) => Promise<CommentResult>;
}> {
  const octokit = github.getOctokit(target.token);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const self = await tokenLogin(octokit);
  const write = async (marker: string, body: string, existing: OwnComment | undefined): Promise<CommentResult> => {
    const full = `${marker}\n${capBody(body)}`;
    if (!existing) {
      await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: full });
      return 'created';
    }
    if (existing.body === full) return 'unchanged';
    await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body: full });
    return 'updated';
  };
  return { own: comments.filter((c) => isOwnComment(c.user, self)), write };
}

/** Which role a comment is about; `arn` is undefined when the run stopped before it knew the account. */
export interface CommentRole {
  name: string;
  arn?: string;
}

/**
 * Creates or updates the role's comment. Pages through all comments, so an old PR's comment is found too.
 * A comment with the earlier marker (role name only) is taken over when that is unambiguous: it is the only
 * one, and no comment of another account's role of that name exists, or it names this very role ARN.
 */
export async function upsertPlanComment(target: CommentTarget, role: CommentRole, body: string): Promise<CommentResult> {
  const { own, write: writeAt } = await ownComments(target);
  const legacy = own.filter((c) => c.body?.includes(legacyCommentMarker(role.name)));
  const perArn = own.filter((c) => c.body?.includes(`<!-- activeloop-role-action:role=${role.name}:`));
  const write = (marker: string, existing: OwnComment | undefined) => writeAt(marker, body, existing);
  if (role.arn === undefined) {
    // The account is not known: every comment of this role name gets the failure, each under its own marker.
    const mine = [...perArn, ...legacy];
    if (!mine.length) return write(legacyCommentMarker(role.name), undefined);
    const results = [];
    for (const c of mine) {
      const marker = /^<!-- activeloop-role-action:role=[^>]* -->/.exec(c.body ?? '')?.[0] ?? legacyCommentMarker(role.name);
      results.push(await write(marker, c));
    }
    return results.includes('updated') ? 'updated' : 'unchanged';
  }
  const marker = commentMarker(role.name, role.arn);
  const arn = role.arn;
  const mine =
    own.find((c) => c.body?.includes(marker)) ??
    (legacy.length === 1 && (perArn.length === 0 || legacy[0].body?.includes(arn)) ? legacy[0] : undefined);
  return write(marker, mine);
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
