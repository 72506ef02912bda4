// Credentials: the workflow's GitHub OIDC token exchanged for a role (spec behaviour 2), or the SDK's default chain.
import { readFileSync } from 'node:fs';
import { AssumeRoleWithWebIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentials, Env } from './aws.js';
import { ActionError, describeAwsError, errorName } from './errors.js';

export interface OidcOptions {
  roleArn: string;
  audience: string;
  getIdToken: (audience: string) => Promise<string>;
  setSecret: (value: string) => void;
  env?: Env;
  /** Pause between retries of a transient identity-provider error; swapped out in tests. */
  sleep?: (ms: number) => Promise<void>;
}

const TRANSIENT_OIDC_ERRORS = ['IDPCommunicationError', 'IDPCommunicationErrorException'];

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
  const sessionName = `activeloop-role-action-${(env.GITHUB_RUN_ID ?? 'local').replace(/[^\w+=,.@-]/g, '')}`.slice(0, 64);
  for (let attempt = 1; ; attempt++) {
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
      if (TRANSIENT_OIDC_ERRORS.includes(errorName(error)) && attempt < 3) {
        await sleep(1000 * attempt);
        continue;
      }
      throw new ActionError(
        `${describeAwsError(`sts:AssumeRoleWithWebIdentity for ${options.roleArn}`, error)} Check that the role's trust policy allows token.actions.githubusercontent.com with audience '${options.audience}' for this repository.`,
        { cause: error },
      );
    }
  }
}

/** The fork's OWNER/REPO when the run is a pull request from a fork (the event payload says), else undefined. */
export function forkOfPullRequest(env: Env): string | undefined {
  if (!env.GITHUB_EVENT_NAME?.startsWith('pull_request') || !env.GITHUB_EVENT_PATH) return undefined;
  try {
    const pr = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')).pull_request;
    const head = pr?.head?.repo?.full_name;
    const base = pr?.base?.repo?.full_name;
    return pr?.head?.repo?.fork === true || (head && base && head !== base) ? (head ?? 'of this repository') : undefined;
  } catch {
    // No readable payload: nothing to tell.
    return undefined;
  }
}

/** Masks credentials the runner already holds in the environment, in case a later log line echoes them. */
export function maskAmbientCredentials(env: Env, setSecret: (value: string) => void): void {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = env[name];
    if (value) setSecret(value);
  }
}
