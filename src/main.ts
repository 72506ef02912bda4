// Orchestrates one run: inputs → credentials → read → desired → plan → (apply) → report.
import * as core from '@actions/core';
import { type BucketAccess, checkAccess } from './access.js';
import { type AwsClients, type AwsCredentials, createStsClient, type Env } from './aws.js';
import type { Change } from './changes.js';
import { planCors } from './cors.js';
import { assumeRoleWithOidc, maskAmbientCredentials, readCallerIdentity } from './credentials.js';
import { stackFixes, upgradeWarnings, withDeployerHint } from './deployer.js';
import { buildDesired, candidatePolicyArns, confusedDeputyWarnings, type DesiredState, type KmsGrant } from './desired.js';
import { planDestroy } from './destroy.js';
import { ActionError, awsCall, errorName, isRace } from './errors.js';
import { checkExternalIdKept, checkPolicyAttachments } from './guards.js';
import { type Inputs, readInputs, removes, writes } from './inputs.js';
import { crossAccountKeyWarnings, kmsGrants } from './kms-grants.js';
import type { Live } from './live.js';
import { owned } from './ownership.js';
import { type ChangeSet, corsKept, planChanges, quotaUse } from './plan.js';
import { Log, modeLine, publish, publishFailure, type RunResult } from './publish.js';
import { quotaViolations } from './quotas.js';
import type { BucketCors, CallerIdentity, KmsDiscovery, LiveState } from './read.js';
import { runRetryPolicy } from './retry.js';

// Rounds of read-plan-apply when a concurrent run gets in the way, before giving up.
const MAX_APPLY_ROUNDS = 4;

export interface RunOptions {
  env?: Env;
  sleep?: (ms: number) => Promise<void>;
  roleWaitSeconds?: number;
}

interface Context {
  inputs: Inputs;
  clients: AwsClients;
  /** The IAM and S3 stage, loaded during the sign-in (connect). */
  stage: typeof import('./aws-stage.js');
  identity: CallerIdentity;
  kmsGrants: KmsGrant[];
  /** The listed buckets' CORS rules (read in destroy modes). */
  cors: BucketCors[];
  warnings: string[];
}

/** Plans from a fresh read: the desired packing keeps units in the policies (ours) that hold them now. */
function planFrom(ctx: Context, live: LiveState): Planned {
  const current = candidatePolicyArns(ctx.inputs, ctx.identity).map((arn) => {
    const p = live.policies.find((x) => x.arn === arn);
    return p && owned(p.tags) ? p.document : undefined;
  });
  const desired = buildDesired(ctx.inputs, ctx.identity, ctx.kmsGrants, current);
  if (removes(ctx.inputs.mode)) {
    return { desired, changeSet: planDestroy({ live, cors: ctx.cors, roleArn: desired.role.arn, partition: ctx.identity.partition }) };
  }
  const corsBuckets = ctx.inputs.cors ? ctx.inputs.buckets.map((b) => b.bucket) : undefined;
  const changeSet = planChanges(desired, live, { adopt: ctx.inputs.adopt, corsBuckets });
  // cors: true keeps the web app's rule on every listed bucket; it is independent of the role, so it goes last.
  if (corsBuckets) changeSet.changes.push(...planCors(ctx.cors, corsKept(live.role, corsBuckets), ctx.identity.partition));
  return { desired, changeSet };
}

export async function run(options: RunOptions = {}): Promise<void> {
  const startedAt = Date.now();
  const env = options.env ?? process.env;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let inputs: Inputs | undefined;
  const log = new Log();
  try {
    inputs = readInputs((name) => core.getInput(name), env);
    log.info(modeLine(inputs.modeChoice));
    log.mask(inputs.maskAccountId, inputs.roleToAssume?.split(':')[4]);
    maskAmbientCredentials(env, core.setSecret);
    const { clients, identity, stage } = await connect(inputs, env, startedAt, log);
    const live = await stage.readLive(inputs, clients, log, identity);
    inputs = live.inputs;
    const ctx: Context = { inputs, clients, stage, identity: live.identity, cors: live.cors, ...decide(live) };
    const first = planChecked(ctx, live);
    const access = inputs.accessCheck !== 'off' && !removes(inputs.mode) ? accessOf(ctx, live, first.desired) : undefined;
    const outcome: ApplyOutcome =
      writes(inputs.mode) && first.changeSet.changes.length
        ? await applyConverging(ctx, first, { roleWaitSeconds: options.roleWaitSeconds ?? 60, log, sleep })
        : { last: first, applied: [] };
    if (outcome.error) outcome.error = withDeployerHint(outcome.error, live.deployer?.boundaryArn, inputs.mode);
    await publish(runResult(ctx, first, outcome, live.discovery, access), env, log);
    await debugStack(outcome.error, log);
  } catch (error) {
    await publishFailure(error, inputs, env, log);
    await debugStack(error, log);
  }
}

/** The first plan, after the checks that stop a run before any write: the external-ID guard and the quotas. */
function planChecked(ctx: Context, live: Live): Planned {
  // An empty external-id must not remove a live sts:ExternalId condition (spec behaviour 13).
  checkExternalIdKept(ctx.inputs, live.iam.role);
  const first = planFrom(ctx, live.iam);
  ctx.warnings.push(...first.changeSet.warnings);
  // A quota the plan would exceed fails now, in plan mode too: IAM would refuse it half-way through apply.
  const overQuota = removes(ctx.inputs.mode) ? [] : quotaViolations(quotaUse(first.desired, live.iam), live.quotas);
  if (overQuota.length) throw new ActionError(`Nothing was changed: ${overQuota.join(' ')}`);
  return first;
}

/** What publishing needs from the run: the first plan (drift is judged on it) and what apply made. */
function runResult(
  ctx: Context,
  first: Planned,
  outcome: ApplyOutcome,
  discovery: KmsDiscovery,
  access: BucketAccess[] | undefined,
): RunResult {
  const { desired, changeSet: current } = outcome.last;
  return {
    inputs: ctx.inputs,
    roleArn: current.roleArn,
    policyArns: current.policyArns,
    desired,
    planned: first.changeSet.changes,
    reported: writes(ctx.inputs.mode) ? outcome.applied : first.changeSet.changes,
    buckets: discovery.buckets,
    access,
    warnings: ctx.warnings,
    error: outcome.error,
    notMade: current.changes.filter((c) => !outcome.applied.includes(c)),
  };
}

/**
 * Credentials (the OIDC exchange when role-to-assume is set), the caller identity, and the run's AWS clients. The
 * identity request goes out first; the read stage and the IAM, S3 and KMS clients load while it is in flight.
 */
async function connect(inputs: Inputs, env: Env, startedAt: number, log: Log) {
  let credentials: AwsCredentials | undefined;
  const options = { env, startedAt, kms: !removes(inputs.mode) && (inputs.detectKms || inputs.kmsKeyArns.length > 0) };
  // The IAM and S3 stage loads while the sign-in (token request, then STS) is in flight.
  const stageP = import('./aws-stage.js');
  stageP.catch(() => undefined);
  if (inputs.roleToAssume) {
    log.info(`Assuming ${inputs.roleToAssume} with the workflow's OIDC token (audience ${inputs.audience})`);
    credentials = await assumeRoleWithOidc(await createStsClient(inputs.region, undefined, options), {
      roleArn: inputs.roleToAssume,
      audience: inputs.audience,
      getIdToken: (aud) => core.getIDToken(aud),
      setSecret: core.setSecret,
      env,
      retryPolicy: runRetryPolicy(startedAt),
      log: (message) => log.info(message),
    });
  }
  const sts = await createStsClient(inputs.region, credentials, options);
  const identity = awsCall('sts:GetCallerIdentity', () => readCallerIdentity(sts));
  // Handled by the read stage; this keeps a failure that comes before it from counting as unhandled.
  identity.catch(() => undefined);
  const stage = await stageP;
  return { clients: await stage.createClients(inputs.region, credentials, options), identity, stage };
}

/** The run's rules on what was read: the keys the role is granted, and the warnings (or, for an apply, the refusal). */
function decide(live: Live): Pick<Context, 'kmsGrants' | 'warnings'> {
  const { inputs, identity, discovery } = live;
  const destroying = removes(inputs.mode);
  const attachments = checkPolicyAttachments(live.attachments, inputs.roleName, inputs.mode);
  const grants = destroying ? [] : kmsGrants(inputs.kmsKeyArns, identity, discovery);
  const warnings = [
    ...upgradeWarnings(inputs, live.deployer),
    ...attachments,
    ...(live.rolePathWarning ? [live.rolePathWarning] : []),
    ...discovery.warnings,
    ...crossAccountKeyWarnings(grants, inputs.access),
    ...(destroying ? [] : confusedDeputyWarnings(inputs, identity)),
  ];
  return { kmsGrants: grants, warnings };
}

/** What Deep Lake can do with each bucket once this run is applied (access-check). */
function accessOf(ctx: Context, read: Live, desired: DesiredState): BucketAccess[] {
  const encryption = new Map(read.discovery.buckets.map((b) => [b.bucket, b]));
  const policies = new Map(read.bucketPolicies.map((p) => [p.bucket, p]));
  const cors = new Map(ctx.cors.map((c) => [c.bucket, c]));
  const settings = new Map(read.bucketSettings.map((s) => [s.bucket, s]));
  const facts = ctx.inputs.buckets.map(({ bucket, prefixes }) => {
    const enc = encryption.get(bucket);
    const key = enc?.grantedKeyArn;
    const { region, ...setting } = settings.get(bucket) ?? {};
    const knownRegion = enc?.region ?? region;
    return {
      ...setting,
      bucket,
      prefixes,
      region: knownRegion ?? ctx.inputs.region,
      // An unread region is said, not guessed (src/access.ts regionError).
      regionError: knownRegion === undefined ? 's3:GetBucketLocation' : undefined,
      policy: policies.get(bucket)?.document,
      policyError: policies.get(bucket)?.error,
      cors: cors.get(bucket)?.rules ?? [],
      corsError: cors.get(bucket)?.error,
      key: key ? { arn: key, policy: read.discovery.keyPolicies.get(key), bucketKeyEnabled: enc?.bucketKeyEnabled } : undefined,
    };
  });
  const boundary = read.boundaryArn;
  const document = read.boundaryDocument;
  // A deployer stack's boundary: a bucket it does not cover is fixed by a stack update (the same words as the plan's failure).
  const fixes =
    boundary && document
      ? stackFixes({ arn: boundary, document }, read.deployer, ctx.inputs.buckets, { ...ctx.identity, access: ctx.inputs.access })
      : undefined;
  return checkAccess(facts, {
    access: ctx.inputs.access,
    roleArn: desired.role.arn,
    account: ctx.identity.account,
    partition: ctx.identity.partition,
    roleTags: desired.role.tags,
    boundary: boundary ? { arn: boundary, document, fixes } : undefined,
    corsManaged: ctx.inputs.cors,
    webApp: ctx.inputs.webApp,
    listedKeys: ctx.inputs.kmsKeyArns.map((arn) => ({
      arn,
      policy: read.listedKeyPolicies.get(arn) ?? read.discovery.keyPolicies.get(arn),
    })),
  });
}

interface Planned {
  desired: DesiredState;
  changeSet: ChangeSet;
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
  const asFailure = (error: unknown, round: number) =>
    error instanceof ActionError
      ? error
      : new ActionError(`Applying the plan failed after ${round} round(s): ${errorName(error)}: ${(error as Error).message}`);
  for (let round = 1; ; round++) {
    try {
      await ctx.stage.applyChanges(
        ctx.clients,
        last.changeSet.changes,
        { roleWaitSeconds: options.roleWaitSeconds, sleep: options.sleep },
        applied,
      );
      return { last, applied };
    } catch (error) {
      if (!isRace(error) || round >= MAX_APPLY_ROUNDS) return { last, applied, error: asFailure(error, round) };
      options.log.info(`A concurrent change got in the way (${errorName(error)}); reading again and re-planning (round ${round + 1}).`);
      await options.sleep(250 * round + Math.floor(Math.random() * 250));
      // Whatever goes wrong from here ends like any failure: the summary says what was done and what was not.
      try {
        last = planFrom(ctx, await ctx.stage.readIam(ctx.inputs, ctx.clients, Promise.resolve(ctx.identity)));
        const taken = /^EntityAlreadyExists/.test(errorName(error)) ? await policyNameTaken(ctx, last) : undefined;
        if (taken) return { last, applied, error: taken };
      } catch (replanError) {
        return { last, applied, error: asFailure(replanError, round) };
      }
    }
  }
}

/**
 * After CreatePolicy answered EntityAlreadyExists, a policy the plan still has to create is not a
 * concurrent run's: its name is taken at another path (names are unique per account, across paths,
 * case-insensitively). That is an ownership problem, not a race to retry.
 */
async function policyNameTaken(ctx: Context, planned: Planned): Promise<ActionError | undefined> {
  const create = planned.changeSet.changes.find((c) => c.action === 'create-policy');
  if (create?.action !== 'create-policy') return undefined;
  const existing = await awsCall(`iam:ListPolicies (finding the policy named ${create.name})`, () =>
    ctx.stage.findPolicyByName(ctx.clients.iam, create.name),
  );
  return new ActionError(
    `The policy name ${create.name} is taken: ${existing ? `the policy ${existing}` : 'a policy at another path'} has it, and IAM policy names are unique per account across paths, case-insensitively. ` +
      `It is not this action's policy at ${create.resource}. Nothing more was changed. Choose another policy-name (or role-name), or remove that policy.`,
  );
}

/** With debug logging on, the stack points into src/ (the bundle's source map is read only then). */
async function debugStack(error: unknown, log: Log): Promise<void> {
  if (!(error instanceof Error) || !error.stack || !core.isDebug()) return;
  const { readableStack } = await import('./stack.js');
  const cause = (error as { cause?: unknown }).cause;
  core.debug(log.redact(await readableStack(error.stack)));
  if (cause instanceof Error && cause.stack) core.debug(log.redact(`Caused by: ${await readableStack(cause.stack)}`));
}
