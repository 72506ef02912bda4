// Credentials: the workflow's GitHub OIDC token exchanged for a role (spec behaviour 2), or the SDK's default chain.
import { readFileSync } from 'node:fs';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentials, Env } from './aws.js';
import { gitHubRepositoryFor, signInChecks, TEMPLATE_FILE, type TokenClaims } from './deployer.js';
import { ActionError, describeAwsError, errorName, isAccessDenied, PERMISSIONS_HINT } from './errors.js';
import type { CallerIdentity } from './read.js';
import { backoffDelay, type RetryPolicy, runRetryPolicy } from './retry.js';

export interface OidcOptions {
  roleArn: string;
  audience: string;
  getIdToken: (audience: string) => Promise<string>;
  setSecret: (value: string) => void;
  env?: Env;
  /** Pause between retries of a transient identity-provider error; swapped out in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** The run's retry policy: its attempts and time budget bound the retries of a transient error. */
  retryPolicy?: RetryPolicy;
  /** Where each retry is told. */
  log?: (message: string) => void;
}

// IDPCommunicationError carries a retryable trait in STS's model: the client's retry strategy retries it already.
const TRANSIENT_OIDC_ERRORS = ['IDPCommunicationError', 'IDPCommunicationErrorException'];
// STS could not fetch the identity provider's signing keys (its JWKS) this time; the same token passes a moment later.
// Other InvalidIdentityToken causes (a wrong audience or issuer, an expired token) fail the same way every time.
const TRANSIENT_TOKEN_MESSAGE = /couldn't retrieve verification key from your identity provider/i;
// Identity-provider hiccups last seconds: back off from 1 s (at most 8 s a pause, within the run's budget).
const OIDC_BASE_DELAY_MS = 1000;

/** Whether STS's answer to AssumeRoleWithWebIdentity is a passing failure of the identity provider, worth a retry. */
export function transientOidcError(error: unknown): boolean {
  const name = errorName(error);
  if (TRANSIENT_OIDC_ERRORS.includes(name)) return true;
  return /^InvalidIdentityToken/.test(name) && error instanceof Error && TRANSIENT_TOKEN_MESSAGE.test(error.message);
}

export async function assumeRoleWithOidc(sts: STSClient, options: OidcOptions): Promise<AwsCredentials> {
  const env = options.env ?? process.env;
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    const fork = forkOfPullRequest(env);
    if (fork) {
      throw new ActionError(
        `role-to-assume is set, but this run is a pull request from the fork ${fork}, and GitHub gives workflows of fork pull requests no OIDC token, whatever their permissions. Nothing was changed. ` +
          'Skip the step for forks (if: github.event.pull_request.head.repo.full_name == github.repository), and plan the change from a branch of this repository instead.',
      );
    }
    throw new ActionError(
      'role-to-assume is set, but the workflow cannot request a GitHub OIDC token. Add "permissions: id-token: write" to the job (or workflow), ' +
        'or leave role-to-assume empty and provide credentials in an earlier step.',
    );
  }
  let token: string;
  try {
    token = await options.getIdToken(options.audience);
  } catch (error) {
    throw new ActionError(
      `Could not get a GitHub OIDC token for audience '${options.audience}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  options.setSecret(token);
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const policy = options.retryPolicy ?? runRetryPolicy();
  const sessionName = `activeloop-role-action-${(env.GITHUB_RUN_ID ?? 'local').replace(/[^\w+=,.@-]/g, '')}`.slice(0, 64);
  let attempts = 0;
  for (;;) {
    try {
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: options.roleArn,
          RoleSessionName: sessionName,
          WebIdentityToken: token,
          DurationSeconds: 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new ActionError(`sts:AssumeRoleWithWebIdentity for ${options.roleArn} returned no credentials.`);
      options.setSecret(c.AccessKeyId);
      options.setSecret(c.SecretAccessKey);
      if (c.SessionToken) options.setSecret(c.SessionToken);
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    } catch (error) {
      if (error instanceof ActionError) throw error;
      attempts += (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      const transient = transientOidcError(error);
      const retriedByClient = TRANSIENT_OIDC_ERRORS.includes(errorName(error));
      const delay = transient && !retriedByClient ? backoffDelay(policy, attempts, OIDC_BASE_DELAY_MS) : undefined;
      if (delay !== undefined) {
        options.log?.(
          `sts:AssumeRoleWithWebIdentity: ${errorName(error)} (${(error as Error).message}); a passing failure of the identity provider, retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempts + 1} of at most ${policy.maxAttempts}).`,
        );
        await sleep(delay);
        continue;
      }
      const failed = describeAwsError(`sts:AssumeRoleWithWebIdentity for ${options.roleArn}`, error).replace(` ${PERMISSIONS_HINT}`, '');
      throw new ActionError(
        transient
          ? `${failed} It looks transient: it still failed after ${attempts} attempt(s) within the run's retry budget. Run the job again.`
          : refusedSignIn(failed, error, token, options, defaultBranchOf(env)),
        { cause: error },
      );
    }
  }
}

/** The claims of GitHub's OIDC token that trust policies test, in the order a reader checks them (spec behaviour 15). */
export const TRUST_CLAIMS: (keyof TokenClaims)[] = [
  'sub',
  'aud',
  'iss',
  'repository',
  'repository_id',
  'repository_owner_id',
  'ref',
  'environment',
  'job_workflow_ref',
  'event_name',
];

/**
 * The trust claims of a JWT's payload (its second part, base64url JSON; RFC 7519), undefined when the token is
 * no such JWT. Only those claims: never the token, its header or its signature. Values are cut to one line.
 */
export function tokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const claims: TokenClaims = {};
  for (const name of TRUST_CLAIMS) {
    const value = (payload as Record<string, unknown>)[name];
    const text = Array.isArray(value)
      ? value.filter((v) => typeof v === 'string').join(',')
      : typeof value === 'string' || typeof value === 'number'
        ? String(value)
        : undefined;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a claim must not break the log line it is shown in.
    if (text) claims[name] = text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
  }
  return claims;
}

/** A refused sign-in: the claims trust policies test, the GitHubRepository this repository needs, and what else to check. */
function refusedSignIn(
  failed: string,
  error: unknown,
  token: string,
  options: Pick<OidcOptions, 'roleArn' | 'audience'>,
  defaultBranch: string | undefined,
): string {
  const generic = `${failed} Check that the role's trust policy allows token.actions.githubusercontent.com with audience '${options.audience}' for this repository.`;
  if (!isAccessDenied(error) && !/^InvalidIdentityToken/.test(errorName(error))) return generic;
  const claims = tokenClaims(token);
  if (!claims) return `${generic} The token's claims could not be read (it is not a JWT), so they cannot be shown.`;
  const shown = TRUST_CLAIMS.map((name) => `${name}=${claims[name] ?? '(none)'}`).join(', ');
  const repository = gitHubRepositoryFor(claims);
  const checks = signInChecks(claims, options.roleArn, options.audience, defaultBranch);
  return (
    `${failed} The role's trust policy refused this run's GitHub OIDC token. Its claims that trust policies test (the token itself is not shown): ${shown}. ` +
    (repository ? `For the deployer stack (${TEMPLATE_FILE}), this repository needs GitHubRepository=${repository}. ` : '') +
    (checks.length ? `Also check: ${checks.join('; ')}.` : '')
  ).trim();
}

/** The parts of the event payload the sign-in checks read. */
interface EventPayload {
  repository?: { default_branch?: unknown };
  pull_request?: { head?: { repo?: { full_name?: string; fork?: boolean } }; base?: { repo?: { full_name?: string } } };
}

/** The event payload (GITHUB_EVENT_PATH) as JSON, or undefined when there is none or it cannot be read: the checks then do without it. */
function eventPayload(env: Env): EventPayload | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The repository's default branch as the event payload names it (repository.default_branch), if it does. */
function defaultBranchOf(env: Env): string | undefined {
  const branch = eventPayload(env)?.repository?.default_branch;
  return typeof branch === 'string' && branch ? branch : undefined;
}

/** The fork's OWNER/REPO when the run is a pull request from a fork (the event payload says), else undefined. */
export function forkOfPullRequest(env: Env): string | undefined {
  if (!env.GITHUB_EVENT_NAME?.startsWith('pull_request')) return undefined;
  const pr = eventPayload(env)?.pull_request;
  const head = pr?.head?.repo?.full_name;
  const base = pr?.base?.repo?.full_name;
  return pr?.head?.repo?.fork === true || (head && base && head !== base) ? (head ?? 'of this repository') : undefined;
}

/** Masks credentials the runner already holds in the environment, in case a later log line echoes them. */
export function maskAmbientCredentials(env: Env, setSecret: (value: string) => void): void {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = env[name];
    if (value) setSecret(value);
  }
}

/** Who the credentials are (sts:GetCallerIdentity): the account, the partition (from the ARN) and the ARN. */
export async function readCallerIdentity(sts: STSClient): Promise<CallerIdentity> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  const arn = out.Arn ?? '';
  return { account: out.Account ?? '', partition: arn.split(':')[1] || 'aws', arn };
}
