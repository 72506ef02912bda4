// The OIDC exchange against a local stand-in for STS that answers in STS's own XML (query protocol),
// so the SDK parses the errors exactly as it parses AWS's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { assumeRoleWithOidc } from '../src/credentials.js';
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
function setup(policy: Partial<RetryPolicy> = {}) {
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
      roleArn: ROLE,
      audience: 'sts.amazonaws.com',
      getIdToken: async () => 'header.payload.signature',
      setSecret: () => {},
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' },
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
