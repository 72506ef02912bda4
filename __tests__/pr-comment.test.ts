// The sticky PR comment against a fake of @actions/github: marker, paging, update in place, size cap, events.
import { beforeEach, describe, expect, it, jest } from '@jest/globals';

interface Comment {
  id: number;
  body?: string;
  user?: { login: string; type: string };
}
const BOT = { login: 'github-actions[bot]', type: 'Bot' };
const state = {
  comments: [] as Comment[],
  created: [] as string[],
  updated: [] as { id: number; body: string }[],
  pages: 0,
  // GET /user: the workflow's GITHUB_TOKEN may not read it (403); a personal access token reads its login.
  user: undefined as string | undefined,
};
const context = {
  eventName: 'pull_request',
  payload: { pull_request: { number: 7 } } as Record<string, unknown>,
  repo: { owner: 'octo', repo: 'lake' },
};
const listComments = jest.fn();
const octokit = {
  // Pages of 100, as octokit.paginate walks them.
  paginate: jest.fn(async () => {
    state.pages = Math.max(1, Math.ceil(state.comments.length / 100));
    return [...state.comments];
  }),
  rest: {
    users: {
      getAuthenticated: jest.fn(async () => {
        if (state.user) return { data: { login: state.user } };
        throw Object.assign(new Error('Resource not accessible by integration'), { status: 403 });
      }),
    },
    issues: {
      listComments,
      createComment: jest.fn(async (p: { body: string }) => {
        state.created.push(p.body);
      }),
      updateComment: jest.fn(async (p: { comment_id: number; body: string }) => {
        state.updated.push({ id: p.comment_id, body: p.body });
      }),
    },
  },
};
const getOctokit = jest.fn((_token: string) => octokit);
jest.unstable_mockModule('@actions/github', () => ({ getOctokit, context }));
const { commentMarker, legacyCommentMarker, pullRequestTarget, upsertPlanComment } = await import('../src/pr-comment.js');

const ARN_A = 'arn:aws:iam::111111111111:role/role-a';
const ARN_A2 = 'arn:aws:iam::222222222222:role/role-a';
const roleA = { name: 'role-a', arn: ARN_A };

const target = { token: 't', owner: 'octo', repo: 'lake', issueNumber: 7 };

beforeEach(() => {
  state.comments = [];
  state.created = [];
  state.updated = [];
  state.user = undefined;
  context.eventName = 'pull_request';
  context.payload = { pull_request: { number: 7 } };
});

describe('upsertPlanComment', () => {
  it('creates one comment with the role marker when there is none', async () => {
    state.comments = [{ id: 1, body: 'a review' }];
    expect(await upsertPlanComment(target, roleA, 'the plan')).toBe('created');
    expect(state.created).toEqual([`${commentMarker('role-a', ARN_A)}\nthe plan`]);
    expect(getOctokit).toHaveBeenCalledWith('t');
  });

  it("updates the role's own comment in place, found among many, leaving others alone", async () => {
    state.comments = [
      ...Array.from({ length: 150 }, (_, i) => ({ id: i, body: `comment ${i}` })),
      { id: 500, body: `${commentMarker('role-b', 'arn:aws:iam::111111111111:role/role-b')}\nother role`, user: BOT },
      { id: 501, body: `${commentMarker('role-a', ARN_A)}\nold plan`, user: BOT },
    ];
    expect(await upsertPlanComment(target, roleA, 'new plan')).toBe('updated');
    expect(state.updated).toEqual([{ id: 501, body: `${commentMarker('role-a', ARN_A)}\nnew plan` }]);
    expect(state.created).toEqual([]);
    expect(state.pages).toBe(2);
  });

  it("leaves a person's comment that quotes the marker alone and writes its own", async () => {
    state.comments = [{ id: 4, body: `look: ${commentMarker('role-a', ARN_A)}`, user: { login: 'a-reviewer', type: 'User' } }];
    expect(await upsertPlanComment(target, roleA, 'the plan')).toBe('created');
    expect(state.updated).toEqual([]);
  });

  it('writes nothing when the comment already says the same', async () => {
    state.comments = [{ id: 9, body: `${commentMarker('role-a', ARN_A)}\nsame`, user: BOT }];
    expect(await upsertPlanComment(target, roleA, 'same')).toBe('unchanged');
    expect(state.updated).toEqual([]);
    expect(state.created).toEqual([]);
  });

  it("caps a huge plan under GitHub's 65,536-character limit", async () => {
    await upsertPlanComment(target, roleA, `${'line of the plan\n'.repeat(10_000)}`);
    expect(state.created[0].length).toBeLessThan(65_536);
    expect(state.created[0]).toContain("cut to fit GitHub's comment size limit");
  });

  it('tells roles apart: role-a does not match role-ab', async () => {
    state.comments = [{ id: 3, body: `${commentMarker('role-ab', 'arn:aws:iam::111111111111:role/role-ab')}\nplan`, user: BOT }];
    expect(await upsertPlanComment(target, roleA, 'plan')).toBe('created');
  });
});

describe('one comment per role ARN (two accounts, one role name)', () => {
  it("keeps another account's comment for the same role name apart", async () => {
    state.comments = [{ id: 2, body: `${commentMarker('role-a', ARN_A2)}\nplan of account 2`, user: BOT }];
    expect(await upsertPlanComment(target, roleA, 'plan of account 1')).toBe('created');
    expect(state.updated).toEqual([]);
    expect(state.created).toEqual([`${commentMarker('role-a', ARN_A)}\nplan of account 1`]);
  });

  it('takes over the only comment with the earlier marker, under the new marker', async () => {
    state.comments = [{ id: 5, body: `${legacyCommentMarker('role-a')}\nold plan`, user: BOT }];
    expect(await upsertPlanComment(target, roleA, 'new plan')).toBe('updated');
    expect(state.updated).toEqual([{ id: 5, body: `${commentMarker('role-a', ARN_A)}\nnew plan` }]);
    expect(state.created).toEqual([]);
  });

  it("leaves an earlier-marker comment alone when another account's comment exists and it names another ARN", async () => {
    state.comments = [
      { id: 5, body: `${legacyCommentMarker('role-a')}\nRole ARN: ${ARN_A2}`, user: BOT },
      { id: 6, body: `${commentMarker('role-a', ARN_A2)}\nplan of account 2`, user: BOT },
    ];
    expect(await upsertPlanComment(target, roleA, 'plan of account 1')).toBe('created');
    expect(state.updated).toEqual([]);
  });

  it('takes over an earlier-marker comment that names this role ARN, even beside another account', async () => {
    state.comments = [
      { id: 5, body: `${legacyCommentMarker('role-a')}\nRole ARN: ${ARN_A}`, user: BOT },
      { id: 6, body: `${commentMarker('role-a', ARN_A2)}\nplan of account 2`, user: BOT },
    ];
    expect(await upsertPlanComment(target, roleA, 'plan of account 1')).toBe('updated');
    expect(state.updated.map((u) => u.id)).toEqual([5]);
  });

  it('does not guess between two earlier-marker comments', async () => {
    state.comments = [
      { id: 5, body: `${legacyCommentMarker('role-a')}\none`, user: BOT },
      { id: 6, body: `${legacyCommentMarker('role-a')}\ntwo`, user: BOT },
    ];
    expect(await upsertPlanComment(target, roleA, 'plan')).toBe('created');
  });

  it('a failure before the account is known updates the comments of that role name', async () => {
    state.comments = [
      { id: 5, body: `${commentMarker('role-a', ARN_A)}\nplan 1`, user: BOT },
      { id: 6, body: `${commentMarker('role-a', ARN_A2)}\nplan 2`, user: BOT },
    ];
    expect(await upsertPlanComment(target, { name: 'role-a' }, 'failed')).toBe('updated');
    expect(state.updated).toEqual([
      { id: 5, body: `${commentMarker('role-a', ARN_A)}\nfailed` },
      { id: 6, body: `${commentMarker('role-a', ARN_A2)}\nfailed` },
    ]);
  });
});

describe("only the token's own identity's comment is the action's", () => {
  it.each([
    ['dependabot[bot]', 'Bot'],
    ['renovate[bot]', 'Bot'],
    ['a-reviewer', 'User'],
  ])("leaves %s's comment with the marker alone and writes its own", async (login, type) => {
    state.comments = [{ id: 4, body: `${commentMarker('role-a', ARN_A)}\nquoted`, user: { login, type } }];
    expect(await upsertPlanComment(target, roleA, 'the plan')).toBe('created');
    expect(state.updated).toEqual([]);
  });

  it("with a token that can say who it is (GET /user), that login's comment is the action's, not github-actions[bot]'s", async () => {
    state.user = 'octo-deployer';
    state.comments = [
      { id: 4, body: `${commentMarker('role-a', ARN_A)}\nby the workflow token`, user: BOT },
      { id: 5, body: `${commentMarker('role-a', ARN_A)}\nby the PAT`, user: { login: 'octo-deployer', type: 'User' } },
    ];
    expect(await upsertPlanComment(target, roleA, 'the plan')).toBe('updated');
    expect(state.updated.map((u) => u.id)).toEqual([5]);
  });
});

describe('pullRequestTarget', () => {
  it.each([
    ['pull_request', { pull_request: { number: 7 } }, 7],
    ['pull_request_target', { pull_request: { number: 8 } }, 8],
    ['push', { pull_request: { number: 7 } }, undefined],
    ['schedule', {}, undefined],
    ['pull_request', {}, undefined],
  ])('%s %j: PR %s', (eventName, payload, number) => {
    context.eventName = eventName;
    context.payload = payload;
    expect(pullRequestTarget('t')?.issueNumber).toBe(number);
  });

  it('takes the repository from the context', () => {
    expect(pullRequestTarget('tok')).toEqual({ token: 'tok', owner: 'octo', repo: 'lake', issueNumber: 7 });
  });
});
