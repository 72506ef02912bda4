// Credentials: the workflow's GitHub OIDC token exchanged for a role (spec behaviour 2), or the SDK's default chain.
import { AssumeRoleWithWebIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentials, Env } from './aws.js';
import { ActionError, describeAwsError, errorName } from './errors.js';
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
      const failed = describeAwsError(`sts:AssumeRoleWithWebIdentity for ${options.roleArn}`, error);
      throw new ActionError(
        transient
          ? `${failed} It looks transient: it still failed after ${attempts} attempt(s) within the run's retry budget. Run the job again.`
          : `${failed} Check that the role's trust policy allows token.actions.githubusercontent.com with audience '${options.audience}' for this repository.`,
        { cause: error },
      );
    }
  }
}

/** Masks credentials the runner already holds in the environment, in case a later log line echoes them. */
export function maskAmbientCredentials(env: Env, setSecret: (value: string) => void): void {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = env[name];
    if (value) setSecret(value);
  }
}
