// The sticky PR comment against a fake of @actions/github: marker, paging, update in place, size cap, events.
import { beforeEach, describe, expect, it, jest } from '@jest/globals';

interface Comment {
  id: number;
  body?: string;
  user?: { login: string; type: string };
}
const BOT = { login: 'github-actions[bot]', type: 'Bot' };
const state = { comments: [] as Comment[], created: [] as string[], updated: [] as { id: number; body: string }[], pages: 0 };
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
const { commentMarker, pullRequestTarget, upsertPlanComment } = await import('../src/pr-comment.js');

const target = { token: 't', owner: 'octo', repo: 'lake', issueNumber: 7 };

beforeEach(() => {
  state.comments = [];
  state.created = [];
  state.updated = [];
  context.eventName = 'pull_request';
  context.payload = { pull_request: { number: 7 } };
});

describe('upsertPlanComment', () => {
  it('creates one comment with the role marker when there is none', async () => {
    state.comments = [{ id: 1, body: 'a review' }];
    expect(await upsertPlanComment(target, 'role-a', 'the plan')).toBe('created');
    expect(state.created).toEqual([`${commentMarker('role-a')}\nthe plan`]);
    expect(getOctokit).toHaveBeenCalledWith('t');
  });

  it("updates the role's own comment in place, found among many, leaving others alone", async () => {
    state.comments = [
      ...Array.from({ length: 150 }, (_, i) => ({ id: i, body: `comment ${i}` })),
      { id: 500, body: `${commentMarker('role-b')}\nother role`, user: BOT },
      { id: 501, body: `${commentMarker('role-a')}\nold plan`, user: BOT },
    ];
    expect(await upsertPlanComment(target, 'role-a', 'new plan')).toBe('updated');
    expect(state.updated).toEqual([{ id: 501, body: `${commentMarker('role-a')}\nnew plan` }]);
    expect(state.created).toEqual([]);
    expect(state.pages).toBe(2);
  });

  it("leaves a person's comment that quotes the marker alone and writes its own", async () => {
    state.comments = [{ id: 4, body: `look: ${commentMarker('role-a')}`, user: { login: 'a-reviewer', type: 'User' } }];
    expect(await upsertPlanComment(target, 'role-a', 'the plan')).toBe('created');
    expect(state.updated).toEqual([]);
  });

  it('writes nothing when the comment already says the same', async () => {
    state.comments = [{ id: 9, body: `${commentMarker('role-a')}\nsame`, user: BOT }];
    expect(await upsertPlanComment(target, 'role-a', 'same')).toBe('unchanged');
    expect(state.updated).toEqual([]);
    expect(state.created).toEqual([]);
  });

  it("caps a huge plan under GitHub's 65,536-character limit", async () => {
    await upsertPlanComment(target, 'role-a', `${'line of the plan\n'.repeat(10_000)}`);
    expect(state.created[0].length).toBeLessThan(65_536);
    expect(state.created[0]).toContain("cut to fit GitHub's comment size limit");
  });

  it('tells roles apart: role-a does not match role-ab', async () => {
    state.comments = [{ id: 3, body: `${commentMarker('role-ab')}\nplan`, user: BOT }];
    expect(await upsertPlanComment(target, 'role-a', 'plan')).toBe('created');
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
