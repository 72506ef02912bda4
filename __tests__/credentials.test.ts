// The OIDC exchange against a local stand-in for STS that answers in STS's own XML (query protocol),
// so the SDK parses the errors exactly as it parses AWS's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { assumeRoleWithOidc, tokenClaims } from '../src/credentials.js';
import { ActionError } from '../src/errors.js';
import { BoundedRetryStrategy, type RetryPolicy } from '../src/retry.js';

const ROLE = 'arn:aws:iam::123456789012:role/github-iam-deployer';
const NO_KEY =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const WRONG_AUDIENCE = 'Incorrect token audience';

function stsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`;
}

const CREDENTIALS = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLEKEY000001</AccessKeyId><SecretAccessKey>secret/EXAMPLE</SecretAccessKey><SessionToken>session-EXAMPLE</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/github-iam-deployer/run</Arn><AssumedRoleId>AROAEXAMPLE:run</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c8</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;

/** The answers the stand-in gives, in order; the last one repeats. */
let answers: { status: number; body: string }[] = [];
let requests = 0;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[Math.min(requests, answers.length - 1)];
      requests++;
      res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  requests = 0;
});

/** A run's clock and policy, with sleeps that only move the clock. */
function setup(policy: Partial<RetryPolicy> = {}, token = 'header.payload.signature', roleArn = ROLE, env: Record<string, string> = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const logs: string[] = [];
  const retryPolicy: RetryPolicy = {
    maxAttempts: 10,
    baseDelayMs: 100,
    throttlingBaseDelayMs: 500,
    maxDelayMs: 8_000,
    deadline: now + 75_000,
    random: () => 1,
    now: () => now,
    ...policy,
  };
  const sts = new STSClient({ region: 'us-east-1', endpoint, retryStrategy: new BoundedRetryStrategy(retryPolicy) });
  const exchange = () =>
    assumeRoleWithOidc(sts, {
      roleArn,
      audience: 'sts.amazonaws.com',
      getIdToken: async () => token,
      setSecret: () => {},
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x', ...env },
      retryPolicy,
      log: (m) => logs.push(m),
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
  return { exchange, sleeps, logs };
}

describe('assumeRoleWithOidc against STS', () => {
  it("retries InvalidIdentityToken: Couldn't retrieve verification key, and gets the credentials", async () => {
    answers = [
      { status: 400, body: stsError('InvalidIdentityToken', NO_KEY) },
      { status: 400, body: stsError('InvalidIdentityToken', NO_KEY) },
      { status: 200, body: CREDENTIALS },
    ];
    const { exchange, sleeps, logs } = setup();
    await expect(exchange()).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLEKEY000001', sessionToken: 'session-EXAMPLE' });
    expect(requests).toBe(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/InvalidIdentityToken(Exception)? \(Couldn't retrieve verification key/);
  });

  it('does not retry another InvalidIdentityToken cause, such as a wrong audience', async () => {
    answers = [{ status: 400, body: stsError('InvalidIdentityToken', WRONG_AUDIENCE) }];
    const { exchange, sleeps } = setup();
    const error = await exchange().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toContain(WRONG_AUDIENCE);
    expect((error as Error).message).toContain("trust policy allows token.actions.githubusercontent.com with audience 'sts.amazonaws.com'");
    expect(requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("stops within the run's retry budget and says the failure looks transient", async () => {
    answers = [{ status: 400, body: stsError('InvalidIdentityToken', NO_KEY) }];
    // 20 s of budget left: pauses of 1, 2, 4 and 8 s fit (15 s), the next 8 s would not.
    const { exchange, sleeps } = setup({ deadline: 1_000_000 + 20_000 });
    const error = await exchange().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/looks transient: it still failed after 5 attempt\(s\) within the run's retry budget/);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(requests).toBe(5);
  });

  it("retries IDPCommunicationError through the client's retry strategy only, not again around it", async () => {
    answers = [{ status: 400, body: stsError('IDPCommunicationError', 'The identity provider could not be reached') }];
    const { exchange, sleeps } = setup({ maxAttempts: 4, baseDelayMs: 1 });
    await expect(exchange()).rejects.toThrow(/looks transient: it still failed after 4 attempt\(s\)/);
    expect(sleeps).toEqual([]);
    expect(requests).toBe(4);
  });
});

/** A token as GitHub signs it (header and payload as its docs show; the signature is made up). */
function githubToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256', x5t: 'example-thumbprint', kid: 'example-key-id' })}.${part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU`;
}

/** GitHub's claims for a push to main of a repository created after 2026-07-15: its sub carries the IDs. */
const PUSH_WITH_IDS = {
  jti: 'example-id',
  sub: 'repo:acme@4242/data-infra@90210:ref:refs/heads/main',
  aud: 'sts.amazonaws.com',
  ref: 'refs/heads/main',
  sha: 'example-sha',
  repository: 'acme/data-infra',
  repository_owner: 'acme',
  repository_id: '90210',
  repository_owner_id: '4242',
  run_id: '4242',
  repository_visibility: 'private',
  actor: 'octocat',
  workflow: 'activeloop',
  event_name: 'push',
  ref_type: 'branch',
  job_workflow_ref: 'acme/data-infra/.github/workflows/activeloop.yml@refs/heads/main',
  iss: 'https://token.actions.githubusercontent.com',
  nbf: 1_796_000_000,
  exp: 1_796_000_300,
  iat: 1_796_000_000,
};
const DENIED = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

describe('a refused sign-in says why (spec behaviour 15)', () => {
  it("shows the token's trust claims and the GitHubRepository with IDs, never the token", async () => {
    answers = [{ status: 403, body: stsError('AccessDenied', DENIED) }];
    const token = githubToken(PUSH_WITH_IDS);
    const apply = 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-apply';
    const error = (await setup({}, token, apply)
      .exchange()
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toContain(DENIED);
    expect(error.message).toContain(
      'sub=repo:acme@4242/data-infra@90210:ref:refs/heads/main, aud=sts.amazonaws.com, iss=https://token.actions.githubusercontent.com, ' +
        'repository=acme/data-infra, repository_id=90210, repository_owner_id=4242, ref=refs/heads/main, environment=(none), ' +
        'job_workflow_ref=acme/data-infra/.github/workflows/activeloop.yml@refs/heads/main, event_name=push',
    );
    expect(error.message).toContain('GitHubRepository=acme@4242/data-infra@90210');
    expect(error.message).toContain('acme/data-infra works too');
    expect(error.message).toContain('WorkflowFile: this job runs .github/workflows/activeloop.yml at refs/heads/main');
    expect(error.message).toContain('DefaultBranch');
    expect(error.message).not.toContain('permissions listed in the README');
    // Neither the token nor any part of it but the claims.
    for (const part of token.split('.')) expect(error.message).not.toContain(part);
    expect(error.message).not.toContain('octocat');
  });

  it('tells a pull request signing in with the apply role to use the plan role', async () => {
    answers = [{ status: 403, body: stsError('AccessDenied', DENIED) }];
    const claims = { ...PUSH_WITH_IDS, sub: 'repo:acme/data-infra:pull_request', event_name: 'pull_request', ref: 'refs/pull/7/merge' };
    const apply = 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-apply';
    const error = (await setup({}, githubToken(claims), apply)
      .exchange()
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('GitHubRepository=acme/data-infra (the form this token');
    expect(error.message).toContain("a pull_request run signs in with the stack's plan role (activeloop-plan)");
  });

  it('names the repository from its claims when the organization customizes the subject', async () => {
    answers = [{ status: 403, body: stsError('AccessDenied', DENIED) }];
    const claims = {
      ...PUSH_WITH_IDS,
      sub: 'repository_owner_id:4242:repository_id:90210:job_workflow_ref:acme/data-infra/.github/workflows/activeloop.yml@refs/heads/main',
    };
    const error = (await setup({}, githubToken(claims))
      .exchange()
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('GitHubRepository=acme@4242/data-infra@90210 (from the repository claims');
    expect(error.message).toContain(
      "this token's sub is customized, and beside the sub the stack's trust policies test its claims repository=acme/data-infra",
    );
    expect(error.message).not.toContain('trusts it by the repository claims');
  });

  it('tells a workflow_dispatch off the default branch (the event payload names it) to run from it, not to move DefaultBranch', async () => {
    answers = [{ status: 403, body: stsError('AccessDenied', DENIED) }];
    const dir = mkdtempSync(join(tmpdir(), 'event-'));
    const eventPath = join(dir, 'event.json');
    writeFileSync(
      eventPath,
      JSON.stringify({ ref: 'refs/heads/try-roles', repository: { full_name: 'acme/data-infra', default_branch: 'main' } }),
    );
    const claims = {
      ...PUSH_WITH_IDS,
      sub: 'repo:acme@4242/data-infra@90210:ref:refs/heads/try-roles',
      event_name: 'workflow_dispatch',
      ref: 'refs/heads/try-roles',
      job_workflow_ref: 'acme/data-infra/.github/workflows/activeloop.yml@refs/heads/try-roles',
    };
    const apply = 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-apply';
    const error = (await setup({}, githubToken(claims), apply, { GITHUB_EVENT_PATH: eventPath })
      .exchange()
      .catch((e: unknown) => e)) as Error;
    rmSync(dir, { recursive: true, force: true });
    expect(error.message).toContain(
      'this run is on ref refs/heads/try-roles, not on main, so run it from the default branch, or open a pull request',
    );
    expect(error.message).not.toContain('DefaultBranch must be the branch of');
    expect(error.message).toContain('role-to-assume is in account 123456789012');
  });

  it('says that a malformed token has no claims to show, and still fails with the trust hint', async () => {
    answers = [{ status: 403, body: stsError('AccessDenied', DENIED) }];
    const error = (await setup({}, 'not-a-jwt')
      .exchange()
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("The token's claims could not be read (it is not a JWT)");
    expect(error.message).toContain('trust policy allows token.actions.githubusercontent.com');
    expect(error.message).not.toContain('not-a-jwt');
  });
});

describe('tokenClaims', () => {
  it('reads only the trust claims of the payload', () => {
    expect(tokenClaims(githubToken(PUSH_WITH_IDS))).toEqual({
      sub: PUSH_WITH_IDS.sub,
      aud: 'sts.amazonaws.com',
      iss: 'https://token.actions.githubusercontent.com',
      repository: 'acme/data-infra',
      repository_id: '90210',
      repository_owner_id: '4242',
      ref: 'refs/heads/main',
      job_workflow_ref: PUSH_WITH_IDS.job_workflow_ref,
      event_name: 'push',
    });
  });

  it.each([
    ['two parts', 'a.b'],
    ['a payload that is not base64url JSON', 'a.!!!.c'],
    ['a JSON array payload', `a.${Buffer.from('[1]').toString('base64url')}.c`],
    ['an empty string', ''],
  ])('is undefined for %s', (_case, token) => {
    expect(tokenClaims(token)).toBeUndefined();
  });

  it('keeps a claim on one line', () => {
    expect(tokenClaims(githubToken({ sub: 'repo:a/b:ref:refs/heads/x\n::error::injected' }))?.sub).toBe(
      'repo:a/b:ref:refs/heads/x ::error::injected',
    );
  });
});
