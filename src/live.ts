// The read stage: every AWS read one run needs, started at once, returned as one record (`Live`) that the plan
// and the access check both take. The only decisions here are those that say what to read (where the role
// lives, which boundary) and the guards that stop reading early; the run's other rules are pure, on `Live`.
import type { AwsClients } from './aws.js';
import {
  boundaryFor,
  ceilingError,
  checkStackCors,
  type DeployerStack,
  deployerOf,
  otherAccountBuckets,
  uncoveredBuckets,
  withDeployerHint,
} from './deployer.js';
import { candidatePolicyArns } from './desired.js';
import { awsCall } from './errors.js';
import { checkAccount, checkPartition, missingBoundaryError } from './guards.js';
import { type Inputs, removes } from './inputs.js';
import { owned } from './ownership.js';
import type { PolicyDocument } from './policy.js';
import type { Log } from './publish.js';
import { type AccountQuotas, DEFAULT_QUOTAS } from './quotas.js';
import {
  type BucketCors,
  type BucketPolicyRead,
  type BucketSettingsRead,
  type CallerIdentity,
  discoverKmsKeys,
  type KmsDiscovery,
  type LiveState,
  type PolicyAttachments,
  readAccountQuotas,
  readBucketCors,
  readBucketPolicies,
  readBucketSettings,
  readCallerRole,
  readKeyPolicies,
  readLiveState,
  readManagedPolicyDocument,
  readPolicyAttachments,
  readRoleDependents,
} from './read.js';

/** Everything live one run decides on. */
export interface Live {
  /** The inputs, with role-path moved to where the role lives and permissions-boundary the one the role gets. */
  inputs: Inputs;
  identity: CallerIdentity;
  discovery: KmsDiscovery;
  /** The role and its policies at the role's path (and, in destroy modes, what else hangs on the role). */
  iam: LiveState;
  /** The listed buckets' CORS rules (read in destroy modes, with cors: true, and for the access check). */
  cors: BucketCors[];
  /** The account's IAM quotas (not read in destroy modes). */
  quotas: AccountQuotas;
  /** The boundary the role will have: the input's (or the deployer stack's), else the live one the action leaves in place. */
  boundaryArn?: string;
  /** That boundary's document (undefined: unreadable or gone). */
  boundaryDocument?: PolicyDocument;
  /** Key policies of the keys in kms-key-arns that are no bucket's default (undefined: unreadable). */
  listedKeyPolicies: Map<string, PolicyDocument | undefined>;
  bucketPolicies: BucketPolicyRead[];
  /** For the access check: each bucket's region, Object Ownership and Requester Pays. */
  bucketSettings: BucketSettingsRead[];
  /** The deployer stack whose role the credentials are, when they are one. */
  deployer?: DeployerStack;
  /** Where the action's policies are attached (its own, by their tags); an error when that could not be read. */
  attachments: PolicyAttachments[] | { error: string };
  /** Set when the role lives at another path than role-path (it stays there). */
  rolePathWarning?: string;
}

const noDiscovery: KmsDiscovery = { grants: [], buckets: [], warnings: [], keyPolicies: new Map() };

/**
 * IAM cannot move a role. When it lives at another path than role-path (the input changed), the run
 * keeps the role and its policies where they are: policy names are unique per account, so new ones at
 * the new path would collide.
 */
export function rolePathFor(inputPath: string, livePath: string | undefined): { rolePath: string; warning?: string } {
  if (!livePath || livePath === inputPath) return { rolePath: inputPath };
  return {
    rolePath: livePath,
    warning: `The role exists at path ${livePath}, not ${inputPath}; IAM cannot move a role, so the role and its policies stay at ${livePath}. To move them, delete the role and its policies by hand and run again.`,
  };
}

/** The role, its policies, and (when the run may delete the role) what else hangs on it. */
export function readIam(inputs: Inputs, clients: AwsClients, identity: Promise<CallerIdentity>): Promise<LiveState> {
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

/**
 * Every read, started at once (`identity`, sts:GetCallerIdentity, is already under way); the critical path is
 * identity → policy → policy version. Throws before any
 * write when the account, the partition, the deployer stack's ceiling or the boundary stops the run.
 */
export async function readLive(inputs: Inputs, clients: AwsClients, log: Log, callerIdentity: Promise<CallerIdentity>): Promise<Live> {
  // The account and partition are checked as soon as they are known, before any write.
  const identityP = callerIdentity.then((id) => {
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
  const iamP = readIam(inputs, clients, identityP);
  // The deployer template's roles name the boundary the Activeloop role must carry: an empty input defaults to it.
  const deployerP = destroying
    ? Promise.resolve(undefined)
    : identityP.then(async (id) => deployerOf(await readCallerRole(clients.iam, id)));
  // The buckets' owners are also the stack's ceiling's: a deployer role's run reads them with access-check off too.
  // It never rejects by itself; a failed identity read fails the run below.
  const bucketSettingsP = (
    checking
      ? identityP.then((id) => readBucketSettings(clients.s3, bucketNames, id.account, { region: !inputs.detectKms }))
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
  const [identity, discovery, iamAtInputPath, cors, quotas, boundaryDocument, bucketPolicies, deployer, choice, ceiling] =
    await Promise.all([
      identityP,
      discoveryP,
      iamP,
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

  const { rolePath, warning } = rolePathFor(inputs.rolePath, iamAtInputPath.role?.path);
  const at = { ...inputs, rolePath, permissionsBoundary: boundary };
  const iam = warning ? await readIam(at, clients, identityP) : iamAtInputPath;
  // Keys listed in kms-key-arns (objects written with other keys): their key policies decide too.
  const listed = checking ? inputs.kmsKeyArns.filter((arn) => !discovery.keyPolicies.has(arn)) : [];
  // A boundary on the role but not in the inputs stays (plan never removes one), so the access check needs it too.
  const keptBoundary = checking && !boundary ? iam.role?.permissionsBoundary : undefined;
  // The action's policies must be attached to its role only (iam:CreatePolicyVersion takes no condition key).
  const ours = destroying ? [] : iam.policies.filter((p) => owned(p.tags)).map((p) => p.arn);
  // The three reads at once. An unreadable or gone boundary: the access check then says unknown for what it decides, never allowed.
  const [listedKeyPolicies, keptBoundaryDocument, attachments] = await Promise.all([
    listed.length ? readKeyPolicies(clients.kmsIn, listed) : new Map<string, PolicyDocument | undefined>(),
    keptBoundary ? readManagedPolicyDocument(clients.iam, keptBoundary).catch(() => undefined) : undefined,
    ours.length ? readPolicyAttachments(clients.iam, ours) : [],
  ]);
  return {
    inputs: at,
    identity,
    discovery,
    iam,
    cors,
    quotas,
    boundaryArn: boundary || keptBoundary,
    boundaryDocument: boundaryDocument ?? keptBoundaryDocument,
    listedKeyPolicies,
    bucketPolicies,
    bucketSettings: await bucketSettingsP,
    deployer,
    attachments,
    rolePathWarning: warning,
  };
}
