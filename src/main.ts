// Orchestrates one run: inputs → credentials → read → desired → plan → (apply) → report.
import * as core from '@actions/core';
import { type BucketAccess, checkAccess } from './access.js';
import { applyChanges } from './apply.js';
import { type AwsClients, type AwsCredentials, createClients, type Env } from './aws.js';
import type { Change } from './changes.js';
import { planCors } from './cors.js';
import { assumeRoleWithOidc, maskAmbientCredentials } from './credentials.js';
import {
  checkAccount,
  checkExternalIdKept,
  checkPartition,
  checkPolicyAttachments,
  confusedDeputyWarnings,
  crossAccountKeyWarnings,
  kmsGrants,
  missingBoundaryError,
  rolePathFor,
} from './decisions.js';
import {
  boundaryBuckets,
  boundaryFor,
  ceilingError,
  checkStackCors,
  type DeployerStack,
  deployerOf,
  isDeployerBoundary,
  otherAccountBuckets,
  stackUpdate,
  uncoveredBuckets,
  upgradeWarnings,
  withDeployerHint,
} from './deployer.js';
import { buildDesired, type DesiredState, type KmsGrant, policyArn, policyName } from './desired.js';
import { planDestroy } from './destroy.js';
import { ActionError, awsCall, errorName, isRace } from './errors.js';
import { type Inputs, readInputs, removes, writes } from './inputs.js';
import { owned } from './ownership.js';
import { type ChangeSet, corsKept, planChanges, quotaUse } from './plan.js';
import type { PolicyDocument } from './policy.js';
import { Log, modeLine, publish, publishFailure, type RunResult } from './publish.js';
import { type AccountQuotas, DEFAULT_QUOTAS, MAX_MANAGED_POLICIES, quotaViolations } from './quotas.js';
import {
  type BucketCors,
  type BucketPolicyRead,
  type BucketSettingsRead,
  type CallerIdentity,
  discoverKmsKeys,
  findPolicyByName,
  type KmsDiscovery,
  type LiveState,
  readAccountQuotas,
  readBucketCors,
  readBucketPolicies,
  readBucketSettings,
  readCallerIdentity,
  readCallerRole,
  readKeyPolicies,
  readLiveState,
  readManagedPolicyDocument,
  readPolicyAttachments,
  readRoleDependents,
} from './read.js';
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
  identity: CallerIdentity;
  kmsGrants: KmsGrant[];
  /** The listed buckets' CORS rules (read in destroy modes). */
  cors: BucketCors[];
  warnings: string[];
}

function candidatePolicyArns(inputs: Inputs, identity: CallerIdentity): string[] {
  return Array.from({ length: MAX_MANAGED_POLICIES }, (_, i) => policyArn(identity, inputs.rolePath, policyName(inputs.policyName, i)));
}

/** The role, its policies, and (when the run may delete the role) what else hangs on it. */
function readIam(ctx: Pick<Context, 'inputs' | 'clients'>, identity: Promise<CallerIdentity>): Promise<LiveState> {
  const { inputs, clients } = ctx;
  const destroying = removes(inputs.mode);
  return awsCall(
    `reading role ${inputs.roleName} and its policies (iam:GetRole, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion, iam:ListPolicyVersions${destroying ? ', iam:ListRolePolicies, iam:ListInstanceProfilesForRole' : ''})`,
    async () => {
      const [live, dependents] = await Promise.all([
        readLiveState(
          clients.iam,
          inputs.roleName,
          identity.then((id) => candidatePolicyArns(inputs, id)),
        ),
        destroying ? readRoleDependents(clients.iam, inputs.roleName) : undefined,
      ]);
      return { ...live, dependents };
    },
  );
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

const noDiscovery: KmsDiscovery = { grants: [], buckets: [], warnings: [], keyPolicies: new Map() };

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
    const clients = await connect(inputs, env, startedAt, log);
    const read = await readEverything(inputs, clients, log);
    inputs = read.inputs;
    const ctx: Context = { inputs, clients, identity: read.identity, kmsGrants: read.kmsGrants, cors: read.cors, warnings: read.warnings };
    const first = planChecked(ctx, read);
    const access = inputs.accessCheck !== 'off' && !removes(inputs.mode) ? accessOf(ctx, read, first.desired) : undefined;
    const outcome: ApplyOutcome =
      writes(inputs.mode) && first.changeSet.changes.length
        ? await applyConverging(ctx, first, { roleWaitSeconds: options.roleWaitSeconds ?? 60, log, sleep })
        : { last: first, applied: [] };
    if (outcome.error) outcome.error = withDeployerHint(outcome.error, read.deployer?.boundaryArn, inputs.mode);
    await publish(runResult(ctx, first, outcome, read.discovery, access), env, log);
    await debugStack(outcome.error, log);
  } catch (error) {
    await publishFailure(error, inputs, env, log);
    await debugStack(error, log);
  }
}

/** The first plan, after the checks that stop a run before any write: the external-ID guard and the quotas. */
function planChecked(ctx: Context, read: Reads): Planned {
  // An empty external-id must not remove a live sts:ExternalId condition (spec behaviour 13).
  checkExternalIdKept(ctx.inputs, read.live.role);
  const first = planFrom(ctx, read.live);
  ctx.warnings.push(...first.changeSet.warnings);
  // A quota the plan would exceed fails now, in plan mode too: IAM would refuse it half-way through apply.
  const overQuota = removes(ctx.inputs.mode) ? [] : quotaViolations(quotaUse(first.desired, read.live), read.quotas);
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

/** Credentials (the OIDC exchange when role-to-assume is set) and the run's AWS clients. */
async function connect(inputs: Inputs, env: Env, startedAt: number, log: Log): Promise<AwsClients> {
  let credentials: AwsCredentials | undefined;
  if (inputs.roleToAssume) {
    log.info(`Assuming ${inputs.roleToAssume} with the workflow's OIDC token (audience ${inputs.audience})`);
    credentials = await assumeRoleWithOidc((await createClients(inputs.region, undefined, { env, startedAt })).sts, {
      roleArn: inputs.roleToAssume,
      audience: inputs.audience,
      getIdToken: (aud) => core.getIDToken(aud),
      setSecret: core.setSecret,
      env,
      retryPolicy: runRetryPolicy(startedAt),
      log: (message) => log.info(message),
    });
  }
  return createClients(inputs.region, credentials, { env, startedAt });
}

interface Reads {
  /** The inputs, with role-path moved to where the role lives. */
  inputs: Inputs;
  identity: CallerIdentity;
  discovery: KmsDiscovery;
  live: LiveState;
  kmsGrants: KmsGrant[];
  cors: BucketCors[];
  /** The account's IAM quotas (not read in destroy modes). */
  quotas: AccountQuotas;
  /** For the access check: the boundary's document, the bucket policies and the key policies. */
  boundaryDocument?: PolicyDocument;
  /** The boundary the role will have: the input's, else the live one the action leaves in place. */
  boundaryArn?: string;
  /** Key policies of the keys in kms-key-arns that are no bucket's default (undefined: unreadable). */
  listedKeyPolicies: Map<string, PolicyDocument | undefined>;
  bucketPolicies: BucketPolicyRead[];
  /** The deployer stack whose role the credentials are, when they are one. */
  deployer?: DeployerStack;
  /** For the access check: each bucket's region, Object Ownership and Requester Pays. */
  bucketSettings: BucketSettingsRead[];
  warnings: string[];
}

/** Every read, started at once; the critical path is identity → policy → policy version. */
async function readEverything(inputs: Inputs, clients: AwsClients, log: Log): Promise<Reads> {
  // The account and partition are checked as soon as they are known, before any write.
  const identityP = awsCall('sts:GetCallerIdentity', () => readCallerIdentity(clients.sts)).then((id) => {
    checkAccount(inputs.allowedAccountIds, id);
    checkPartition(inputs, id);
    return id;
  });
  // Destroy grants nothing: it reads the buckets' CORS rules instead of their keys.
  const destroying = removes(inputs.mode);
  const discoveryP =
    inputs.detectKms && !destroying
      ? discoverKmsKeys(clients.s3, clients.kmsIn, inputs.buckets, { keyPolicies: inputs.accessCheck !== 'off' })
      : Promise.resolve(noDiscovery);
  const bucketNames = inputs.buckets.map((b) => b.bucket);
  const checking = inputs.accessCheck !== 'off' && !destroying;
  // CORS rules: destroy removes the action's rule, cors: true keeps it, and the access check reads them.
  const corsP = destroying || inputs.cors || checking ? readBucketCors(clients.s3, bucketNames) : Promise.resolve([]);
  const bucketPoliciesP = checking ? readBucketPolicies(clients.s3, bucketNames) : Promise.resolve([]);
  const quotasP = destroying ? Promise.resolve(DEFAULT_QUOTAS) : awsCall('iam:GetAccountSummary', () => readAccountQuotas(clients.iam));
  const liveP = readIam({ inputs, clients }, identityP);
  // The deployer template's roles name the boundary the Activeloop role must carry: an empty input defaults to it.
  const deployerP = destroying
    ? Promise.resolve(undefined)
    : identityP.then(async (id) => deployerOf(await readCallerRole(clients.iam, id)));
  // The buckets' owners are also the stack's ceiling's: a deployer role's run reads them with access-check off too.
  // It never rejects by itself; a failed identity read fails the run below.
  const bucketSettingsP = (
    checking
      ? identityP.then((id) => readBucketSettings(clients.s3, bucketNames, id.account))
      : Promise.all([identityP, deployerP]).then(([id, deployer]) =>
          deployer ? readBucketSettings(clients.s3, bucketNames, id.account, { ownerOnly: true }) : [],
        )
  ).catch((): BucketSettingsRead[] => []);
  const boundaryChoiceP = Promise.all([identityP, deployerP]).then(([id, deployer]) =>
    destroying ? { boundary: inputs.permissionsBoundary } : boundaryFor(inputs.permissionsBoundary, deployer, id.arn),
  );
  const readBoundary = (boundary: string | undefined) =>
    boundary && !destroying
      ? awsCall(`iam:GetPolicy ${boundary} (permissions-boundary)`, () => readManagedPolicyDocument(clients.iam, boundary))
      : undefined;
  // A boundary given is read at once; the stack's, once the caller's role names it.
  const boundaryP = inputs.permissionsBoundary
    ? readBoundary(inputs.permissionsBoundary)
    : boundaryChoiceP.then(({ boundary }) => readBoundary(boundary));
  // The stack's ceiling (spec behaviour 16): a bucket its boundary does not cover fails the run before any write,
  // also when that bucket's reads were denied first (the stack's roles read the Buckets only).
  const ceilingP = Promise.all([identityP, deployerP, boundaryChoiceP, boundaryP, bucketSettingsP]).then(
    ([id, deployer, choice, document, settings]) => {
      if (!deployer || destroying || !document || choice.boundary !== deployer.boundaryArn) return undefined;
      const otherAccount = otherAccountBuckets(settings);
      const uncovered = uncoveredBuckets(document, inputs.buckets, { ...id, access: inputs.access, otherAccountBuckets: otherAccount });
      return uncovered.length ? ceilingError(deployer, document, uncovered, otherAccount) : undefined;
    },
  );
  const [identity, discovery, liveAtInputPath, cors, quotas, boundaryDocument, bucketPolicies, deployer, choice, ceiling] =
    await Promise.all([
      identityP,
      discoveryP,
      liveP,
      corsP,
      quotasP,
      boundaryP,
      bucketPoliciesP,
      deployerP,
      boundaryChoiceP,
      ceilingP,
    ]).catch(async (error) => {
      const stack = await deployerP.catch(() => undefined);
      // A read denied to a deployer template role: the stack's ceiling, when that is the cause, else what to check in the stack.
      throw (await ceilingP.catch(() => undefined)) ?? withDeployerHint(error, stack?.boundaryArn, inputs.mode);
    });
  if (ceiling) throw ceiling;
  checkStackCors(deployer, inputs.cors);
  const boundary = choice.boundary;
  if (choice.notice) log.info(choice.notice);
  if (boundary && !destroying && !boundaryDocument) throw missingBoundaryError(boundary, identity, inputs.roleToAssume);
  log.mask(inputs.maskAccountId, identity.account);
  log.info(`AWS account ${identity.account} (${identity.partition}), caller ${identity.arn}`);

  const { rolePath, warning } = rolePathFor(inputs.rolePath, liveAtInputPath.role?.path);
  const at = { ...inputs, rolePath, permissionsBoundary: boundary };
  const live = warning ? await readIam({ inputs: at, clients }, identityP) : liveAtInputPath;
  // Keys listed in kms-key-arns (objects written with other keys): their key policies decide too.
  const listed = checking ? inputs.kmsKeyArns.filter((arn) => !discovery.keyPolicies.has(arn)) : [];
  // A boundary on the role but not in the inputs stays (plan never removes one), so the access check needs it too.
  const keptBoundary = checking && !boundary ? live.role?.permissionsBoundary : undefined;
  // The action's policies must be attached to its role only (iam:CreatePolicyVersion takes no condition key).
  const ours = destroying ? [] : live.policies.filter((p) => owned(p.tags)).map((p) => p.arn);
  // The three reads at once. An unreadable or gone boundary: the access check then says unknown for what it decides, never allowed.
  const [listedKeyPolicies, keptBoundaryDocument, attachedTo] = await Promise.all([
    listed.length ? readKeyPolicies(clients.kmsIn, listed) : new Map<string, PolicyDocument | undefined>(),
    keptBoundary ? readManagedPolicyDocument(clients.iam, keptBoundary).catch(() => undefined) : undefined,
    ours.length ? readPolicyAttachments(clients.iam, ours) : [],
  ]);
  const attachments = checkPolicyAttachments(attachedTo, inputs.roleName, inputs.mode);
  const grants = destroying ? [] : kmsGrants(inputs.kmsKeyArns, identity, discovery);
  const warnings = [
    ...upgradeWarnings(inputs, deployer),
    ...attachments,
    ...(warning ? [warning] : []),
    ...discovery.warnings,
    ...crossAccountKeyWarnings(grants, inputs.access),
    ...(destroying ? [] : confusedDeputyWarnings(inputs, identity)),
  ];
  return {
    inputs: at,
    identity,
    discovery,
    live,
    kmsGrants: grants,
    cors,
    quotas,
    boundaryDocument: boundaryDocument ?? keptBoundaryDocument,
    boundaryArn: boundary || keptBoundary,
    listedKeyPolicies,
    bucketPolicies,
    deployer,
    bucketSettings: await bucketSettingsP,
    warnings,
  };
}

/** What Deep Lake can do with each bucket once this run is applied (access-check). */
function accessOf(ctx: Context, read: Reads, desired: DesiredState): BucketAccess[] {
  const encryption = new Map(read.discovery.buckets.map((b) => [b.bucket, b]));
  const policies = new Map(read.bucketPolicies.map((p) => [p.bucket, p]));
  const cors = new Map(ctx.cors.map((c) => [c.bucket, c]));
  const settings = new Map(read.bucketSettings.map((s) => [s.bucket, s]));
  const facts = ctx.inputs.buckets.map(({ bucket, prefixes }) => {
    const enc = encryption.get(bucket);
    const key = enc?.grantedKeyArn;
    const { region, ...setting } = settings.get(bucket) ?? {};
    return {
      ...setting,
      bucket,
      prefixes,
      region: enc?.region ?? region ?? ctx.inputs.region,
      // access-check hook: an unread region is said, not guessed (src/access.ts regionError).
      regionError: (enc?.region ?? region) === undefined ? 's3:GetBucketLocation' : undefined,
      policy: policies.get(bucket)?.document,
      policyError: policies.get(bucket)?.error,
      cors: cors.get(bucket)?.rules ?? [],
      corsError: cors.get(bucket)?.error,
      key: key ? { arn: key, policy: read.discovery.keyPolicies.get(key), bucketKeyEnabled: enc?.bucketKeyEnabled } : undefined,
    };
  });
  const boundary = read.boundaryArn;
  // A deployer stack's boundary: a bucket it does not cover is fixed by a stack update (the same words as the plan's failure).
  const stackFixes =
    boundary && read.boundaryDocument && (read.deployer?.boundaryArn === boundary || isDeployerBoundary(boundary))
      ? stackFixesFor(read, read.boundaryDocument)
      : undefined;
  return checkAccess(facts, {
    access: ctx.inputs.access,
    roleArn: desired.role.arn,
    account: ctx.identity.account,
    partition: ctx.identity.partition,
    roleTags: desired.role.tags,
    boundary: boundary ? { arn: boundary, document: read.boundaryDocument, fixes: stackFixes } : undefined,
    corsManaged: ctx.inputs.cors,
    webApp: ctx.inputs.webApp,
    listedKeys: ctx.inputs.kmsKeyArns.map((arn) => ({
      arn,
      policy: read.listedKeyPolicies.get(arn) ?? read.discovery.keyPolicies.get(arn),
    })),
  });
}

/** For each bucket a deployer stack's boundary does not cover: the stack update that adds it. */
function stackFixesFor(read: Reads, document: PolicyDocument): Record<string, string> {
  const uncovered = uncoveredBuckets(document, read.inputs.buckets, { ...read.identity, access: read.inputs.access });
  const fix = stackUpdate(read.deployer, boundaryBuckets(document), uncovered);
  return Object.fromEntries(uncovered.map((bucket) => [bucket, fix]));
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
      await applyChanges(ctx.clients, last.changeSet.changes, { roleWaitSeconds: options.roleWaitSeconds, sleep: options.sleep }, applied);
      return { last, applied };
    } catch (error) {
      if (!isRace(error) || round >= MAX_APPLY_ROUNDS) return { last, applied, error: asFailure(error, round) };
      options.log.info(`A concurrent change got in the way (${errorName(error)}); reading again and re-planning (round ${round + 1}).`);
      await options.sleep(250 * round + Math.floor(Math.random() * 250));
      // Whatever goes wrong from here ends like any failure: the summary says what was done and what was not.
      try {
        last = planFrom(ctx, await readIam(ctx, Promise.resolve(ctx.identity)));
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
    findPolicyByName(ctx.clients.iam, create.name),
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
