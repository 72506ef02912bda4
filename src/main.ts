// Orchestrates one run: inputs → credentials → read → desired → plan → (apply) → report.
import * as core from '@actions/core';
import { applyChanges } from './apply.js';
import { type AwsClients, type AwsCredentials, createClients } from './aws.js';
import { assumeRoleWithOidc, maskAmbientCredentials } from './credentials.js';
import { buildDesired, type CallerIdentity, type DesiredState, type KmsGrant, policyArn, policyName } from './desired.js';
import { ActionError, awsCall, errorName, isRace } from './errors.js';
import { InputError, type Inputs, MAX_MANAGED_POLICIES, readInputs } from './inputs.js';
import { addsGrants, type Change, owned, type Plan, planChanges, touchesExisting } from './plan.js';
import { discoverKmsKeys, type KmsDiscovery, type LiveState, readCallerIdentity, readLiveState } from './read.js';
import { planEntries, renderReport } from './report.js';

// Rounds of read-plan-apply when a concurrent run gets in the way, before giving up.
const MAX_APPLY_ROUNDS = 4;

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
  roleWaitSeconds?: number;
}

interface Context {
  inputs: Inputs;
  clients: AwsClients;
  identity: CallerIdentity;
  kmsGrants: KmsGrant[];
  warnings: string[];
}

function candidatePolicyArns(inputs: Inputs, identity: CallerIdentity): string[] {
  return Array.from({ length: MAX_MANAGED_POLICIES }, (_, i) => policyArn(identity, inputs.rolePath, policyName(inputs.policyName, i)));
}

function readIam(ctx: Pick<Context, 'inputs' | 'clients'>, identity: Promise<CallerIdentity>): Promise<LiveState> {
  return awsCall(
    `reading role ${ctx.inputs.roleName} and its policies (iam:GetRole, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion, iam:ListPolicyVersions)`,
    () =>
      readLiveState(
        ctx.clients.iam,
        ctx.inputs.roleName,
        identity.then((id) => candidatePolicyArns(ctx.inputs, id)),
      ),
  );
}

/** Plans from a fresh read: the desired packing keeps units in the policies (ours) that hold them now. */
function plan(ctx: Context, live: LiveState): Planned {
  const current = candidatePolicyArns(ctx.inputs, ctx.identity).map((arn) => {
    const p = live.policies.find((x) => x.arn === arn);
    return p && owned(p.tags) ? p.document : undefined;
  });
  const desired = buildDesired(ctx.inputs, ctx.identity, ctx.kmsGrants, current);
  return { desired, plan: planChanges(desired, live, { adopt: ctx.inputs.adopt }) };
}

/** The keys found on the buckets and those in kms-key-arns, each marked when it belongs to another account. */
function kmsGrants(inputs: Inputs, identity: CallerIdentity, discovery: KmsDiscovery): KmsGrant[] {
  const found = new Map(discovery.grants.map((g) => [g.keyArn, g.buckets]));
  const arns = new Set([...found.keys(), ...inputs.kmsKeyArns]);
  return [...arns]
    .sort()
    .map((keyArn) => ({ keyArn, buckets: found.get(keyArn) ?? [], crossAccount: keyArn.split(':')[4] !== identity.account }));
}

const noDiscovery: KmsDiscovery = { grants: [], buckets: [], warnings: [] };

/** The run's log. With mask-account-id, every line hides the account IDs it has been told about. */
class Log {
  private readonly accounts = new Set<string>();
  private enabled = false;

  mask(enabled: boolean, ...accounts: (string | undefined)[]): void {
    this.enabled ||= enabled;
    for (const a of accounts) if (a && /^\d{12}$/.test(a)) this.accounts.add(a);
  }

  redact = (text: string): string => {
    if (!this.enabled) return text;
    let out = text;
    for (const a of this.accounts) out = out.split(a).join('************');
    return out;
  };

  info(text: string): void {
    core.info(this.redact(text));
  }

  warning(text: string): void {
    core.warning(this.redact(text));
  }

  fail(text: string): void {
    core.setFailed(this.redact(text));
  }
}

export async function run(options: RunOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let inputs: Inputs | undefined;
  const log = new Log();
  try {
    inputs = readInputs((name) => core.getInput(name), env);
    log.mask(inputs.maskAccountId, inputs.roleToAssume?.split(':')[4]);
    maskAmbientCredentials(env, core.setSecret);

    let credentials: AwsCredentials | undefined;
    if (inputs.roleToAssume) {
      log.info(`Assuming ${inputs.roleToAssume} with the workflow's OIDC token (audience ${inputs.audience})`);
      credentials = await assumeRoleWithOidc((await createClients(inputs.region, undefined, env)).sts, {
        roleArn: inputs.roleToAssume,
        audience: inputs.audience,
        getIdToken: (aud) => core.getIDToken(aud),
        setSecret: core.setSecret,
        env,
      });
    }
    const clients = await createClients(inputs.region, credentials, env);

    // Every read starts at once; the critical path is identity → policy → policy version.
    const identityP = awsCall('sts:GetCallerIdentity', () => readCallerIdentity(clients.sts));
    const discoveryP = inputs.detectKms ? discoverKmsKeys(clients.s3, clients.kms, inputs.buckets) : Promise.resolve(noDiscovery);
    const liveP = readIam({ inputs, clients }, identityP);
    const [identity, discovery, liveAtInputPath] = await Promise.all([identityP, discoveryP, liveP]);
    log.mask(inputs.maskAccountId, identity.account);
    log.info(`AWS account ${identity.account} (${identity.partition}), caller ${identity.arn}`);

    // IAM cannot move a role. When it lives at another path (role-path changed), the role and its
    // policies stay there: policy names are unique per account, so new ones at the new path would collide.
    let firstLive = liveAtInputPath;
    const pathWarnings: string[] = [];
    const livePath = liveAtInputPath.role?.path;
    if (livePath && livePath !== inputs.rolePath) {
      pathWarnings.push(
        `The role exists at path ${livePath}, not ${inputs.rolePath}; IAM cannot move a role, so the role and its policies stay at ${livePath}. To move them, delete the role and its policies by hand and run again.`,
      );
      inputs = { ...inputs, rolePath: livePath };
      firstLive = await readIam({ inputs, clients }, identityP);
    }

    const ctx: Context = {
      inputs,
      clients,
      identity,
      kmsGrants: kmsGrants(inputs, identity, discovery),
      warnings: [...pathWarnings, ...discovery.warnings],
    };
    for (const g of ctx.kmsGrants.filter((k) => k.crossAccount)) {
      ctx.warnings.push(
        `KMS key ${g.keyArn} belongs to another account: its key policy must also allow the role (kms:Decrypt${inputs.access === 'read-write' ? ', kms:GenerateDataKey*' : ''}) for Activeloop to use it.`,
      );
    }

    const first = plan(ctx, firstLive);
    ctx.warnings.push(...first.plan.warnings);
    const outcome: ApplyOutcome =
      inputs.mode === 'apply' && first.plan.changes.length
        ? await applyConverging(ctx, first, { roleWaitSeconds: options.roleWaitSeconds ?? 60, log, sleep })
        : { last: first, applied: [] };
    const { desired, plan: current } = outcome.last;
    const reported = inputs.mode === 'apply' ? outcome.applied : first.plan.changes;
    const roleArn = current.roleArn;
    const body = renderReport({
      mode: inputs.mode,
      roleName: inputs.roleName,
      roleArn,
      policyArns: current.policyArns,
      changes: reported,
      desired,
      buckets: discovery.buckets,
      warnings: ctx.warnings,
      externalId: inputs.externalId,
      redact: log.redact,
      failure: outcome.error && { message: outcome.error.message, notMade: current.changes.filter((c) => !outcome.applied.includes(c)) },
    });
    if (outcome.error) {
      // Nothing lost: the summary still says what was changed before the error, and what was not.
      await writeSummary(env, log, body);
      throw outcome.error;
    }

    core.setOutput('role-arn', roleArn);
    core.setOutput('policy-arn', current.policyArns[0]);
    core.setOutput('policy-arns', JSON.stringify(current.policyArns));
    core.setOutput('changed', String(reported.length > 0));
    core.setOutput('plan', JSON.stringify(planEntries(reported)));
    core.setOutput('kms-key-arns', JSON.stringify(desired.kmsGrants.map((g) => g.keyArn)));

    for (const w of ctx.warnings) log.warning(w);
    for (const c of reported)
      log.info(`${inputs.mode === 'apply' ? 'applied' : 'planned'}: ${c.action} ${c.resource} (${c.reason})${c.drift ? ' [drift]' : ''}`);
    if (reported.length === 0) log.info('In sync: nothing to change.');
    log.info(`Role ARN: ${roleArn}`);

    await writeSummary(env, log, body);

    if (inputs.mode === 'plan' && inputs.prComment) await commentOnPullRequest(inputs, body, log);

    const drifted = inputs.mode === 'plan' ? reported.length > 0 : touchesExisting(reported) || reported.some((c) => c.drift);
    if (inputs.failOnDrift && drifted) {
      log.fail(
        inputs.mode === 'plan'
          ? `fail-on-drift: the role ${inputs.roleName} differs from the inputs (${reported.length} pending change(s); see the job summary).`
          : `fail-on-drift: the role ${inputs.roleName} had drifted; ${reported.length} change(s) were made to put it back (see the job summary).`,
      );
    }
  } catch (error) {
    fail(error, inputs, log);
  }
}

interface Planned {
  desired: DesiredState;
  plan: Plan;
}

interface ApplyOutcome {
  /** The last plan: its role and policy ARNs are what the run ends with. */
  last: Planned;
  applied: Change[];
  /** Set when apply stopped; `applied` then holds what was done before. */
  error?: ActionError;
}

/**
 * Applies the plan. When a concurrent run gets in the way (a race error), reads IAM again, plans again
 * and carries on, for up to MAX_APPLY_ROUNDS rounds.
 */
async function applyConverging(
  ctx: Context,
  first: Planned,
  options: { roleWaitSeconds: number; log: Log; sleep: (ms: number) => Promise<void> },
): Promise<ApplyOutcome> {
  const applied: Change[] = [];
  let last = first;
  for (let round = 1; ; round++) {
    try {
      await applyChanges(ctx.clients.iam, last.plan.changes, { roleWaitSeconds: options.roleWaitSeconds }, applied, addsGrants);
      return { last, applied };
    } catch (error) {
      if (!isRace(error) || round >= MAX_APPLY_ROUNDS) {
        const failure =
          error instanceof ActionError
            ? error
            : new ActionError(`Applying the plan failed after ${round} round(s): ${errorName(error)}: ${(error as Error).message}`);
        return { last, applied, error: failure };
      }
      options.log.info(`A concurrent change got in the way (${errorName(error)}); reading again and re-planning (round ${round + 1}).`);
      await options.sleep(250 * round + Math.floor(Math.random() * 250));
      last = plan(ctx, await readIam(ctx, Promise.resolve(ctx.identity)));
    }
  }
}

async function writeSummary(env: NodeJS.ProcessEnv, log: Log, body: string): Promise<void> {
  // Outside a runner (a local run) there is no job summary file: the report goes to the log instead.
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(body).write();
  else log.info(`No job summary file (GITHUB_STEP_SUMMARY); the report:\n${body}`);
}

async function commentOnPullRequest(inputs: Inputs, body: string, log: Log): Promise<void> {
  // Loaded only here: the GitHub client is a fair part of the bundle, and most runs never comment.
  const { pullRequestTarget, upsertPlanComment } = await import('./pr-comment.js');
  const target = pullRequestTarget(inputs.githubToken);
  if (!target) return;
  if (!inputs.githubToken) {
    log.warning('pr-comment is on but github-token is empty; the plan is in the job summary only.');
    return;
  }
  try {
    const result = await upsertPlanComment(target, inputs.roleName, body);
    log.info(`PR comment ${result} on #${target.issueNumber}.`);
  } catch (error) {
    const status = (error as { status?: number }).status;
    // Fork PRs get a read-only token: the plan is still in the job summary, and the check does not fail for that.
    log.warning(
      status === 403 || status === 404
        ? `Could not comment on PR #${target.issueNumber} (HTTP ${status}): the token cannot write to pull requests (a fork, or missing "permissions: pull-requests: write"). The plan is in the job summary.`
        : `Could not comment on PR #${target.issueNumber}: ${(error as Error).message}. The plan is in the job summary.`,
    );
  }
}

function fail(error: unknown, inputs: Inputs | undefined, log: Log): void {
  if (error instanceof InputError || error instanceof ActionError) {
    log.fail(error.message);
  } else {
    log.fail(
      `Unexpected error${inputs ? ` for role ${inputs.roleName}` : ''}: ${errorName(error)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (error instanceof Error && error.stack) core.debug(log.redact(error.stack));
}
