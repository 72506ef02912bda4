// @ts-check
// Realism rules: how AWS answers where moto is kinder. Each rule names the AWS documentation it follows;
// tests push them onto `proxy.rules` (test-support/aws-proxy.mjs).

/** @typedef {import('./aws-proxy.mjs').Rule} Rule */
/** @typedef {import('./aws-proxy.mjs').Call} Call */

/** An IAM (query protocol) error answer. @param {string} code @param {string} message @param {number} [status] */
export function iamError(code, message, status = 400) {
  return {
    status,
    type: 'text/xml',
    body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>4a2c0f5e-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  };
}

/** @param {string} operation @returns {(call: Call) => boolean} */
const is = (operation) => (call) => call.operation === operation;

/** Characters IAM counts for a quota: the document without whitespace. @param {string} doc */
const quotaSize = (doc) => doc.replace(/\s/g, '').length;

/**
 * IAM is eventually consistent: a role or policy just created may be missing for a while from reads,
 * attachments and version calls on it, which answer NoSuchEntity.
 * Docs: IAM User Guide, "Troubleshoot IAM" > "Changes that I make are not always immediately visible".
 * @param {number} ms how long a new entity stays invisible
 * @returns {Rule[]}
 */
export function invisibleAfterCreate(ms) {
  /** @type {Map<string, number>} name → when it was created */
  const created = new Map();
  const names = (/** @type {Call} */ call) =>
    /** @type {string[]} */ ([call.params.RoleName, call.params.PolicyArn?.split('/').pop()].filter(Boolean));
  return [
    {
      name: 'records creates',
      docs: 'IAM User Guide: Changes that I make are not always immediately visible',
      match: (call) => {
        if (call.operation === 'iam:CreateRole') created.set(call.params.RoleName, Date.now());
        if (call.operation === 'iam:CreatePolicy') created.set(call.params.PolicyName, Date.now());
        return false;
      },
      respond: () => undefined,
    },
    {
      name: `a new entity is invisible for ${ms} ms`,
      docs: 'IAM User Guide: Changes that I make are not always immediately visible',
      match: (call) =>
        call.service === 'iam' &&
        !/^iam:Create(Role|Policy)$/.test(call.operation) &&
        names(call).some((n) => Date.now() - (created.get(n) ?? -Infinity) < ms),
      respond: (call) => iamError('NoSuchEntity', `The role or policy ${names(call)[0]} cannot be found.`, 404),
    },
  ];
}

/**
 * IAM refuses a trust policy above the account's ACLSizePerRole quota (2,048 characters by default,
 * up to 4,096), counted without whitespace, with LimitExceeded.
 * Docs: IAM User Guide, "IAM and AWS STS quotas" (Role trust policy length).
 * @param {number} limit
 * @returns {Rule}
 */
export function trustPolicySizeQuota(limit = 2048) {
  return {
    name: `trust policy at most ${limit} characters`,
    docs: 'IAM User Guide: IAM and AWS STS quotas, role trust policy length',
    match: (call) =>
      (call.operation === 'iam:CreateRole' || call.operation === 'iam:UpdateAssumeRolePolicy') &&
      quotaSize(call.params.AssumeRolePolicyDocument ?? call.params.PolicyDocument ?? '') > limit,
    respond: () => iamError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${limit}`, 409),
  };
}

/**
 * IAM refuses an attachment above the account's PoliciesPerRole quota (10 by default, up to 20).
 * Docs: IAM User Guide, "IAM and AWS STS quotas" (managed policies attached to a role).
 * @returns {Rule}
 */
export function attachedPoliciesQuota(limit = 10) {
  return {
    name: `at most ${limit} managed policies per role`,
    docs: 'IAM User Guide: IAM and AWS STS quotas, managed policies attached to an IAM role',
    match: is('iam:AttachRolePolicy'),
    respond: () => iamError('LimitExceeded', `Cannot exceed quota for PoliciesPerRole: ${limit}`, 409),
  };
}

/**
 * The account's IAM quotas as GetAccountSummary reports them (moto reports the defaults).
 * Docs: IAM API Reference, GetAccountSummary (SummaryMap).
 * @param {Record<string, number>} values e.g. { AssumeRolePolicySizeQuota: 4096 }
 * @returns {Rule}
 */
export function accountQuotas(values) {
  return {
    name: `account quotas ${JSON.stringify(values)}`,
    docs: 'IAM API Reference: GetAccountSummary',
    match: is('iam:GetAccountSummary'),
    rewrite: (_call, body) => {
      let out = body;
      for (const [key, value] of Object.entries(values)) {
        const entry = new RegExp(`(<key>${key}</key>\\s*<value>)\\d+(</value>)`);
        out = entry.test(out)
          ? out.replace(entry, `$1${value}$2`)
          : out.replace('</SummaryMap>', `<entry><key>${key}</key><value>${value}</value></entry></SummaryMap>`);
      }
      return out;
    },
  };
}

/**
 * Managed policy names are unique per account across paths, case-insensitively: CreatePolicy of a
 * name another policy has (at any path) answers EntityAlreadyExists. moto keys policies by ARN.
 * Docs: IAM User Guide, "IAM identifiers" (friendly names must be unique within the account, case-insensitively).
 * @param {string} takenName the name an existing policy has at another path
 * @returns {Rule}
 */
export function policyNameTaken(takenName) {
  return {
    name: `policy name ${takenName} is taken at another path`,
    docs: 'IAM User Guide: IAM identifiers, friendly names and paths',
    match: (call) => call.operation === 'iam:CreatePolicy' && call.params.PolicyName?.toLowerCase() === takenName.toLowerCase(),
    respond: (call) =>
      iamError('EntityAlreadyExists', `A policy called ${call.params.PolicyName} already exists. Duplicate names are not allowed.`, 409),
  };
}

/**
 * Right after DetachRolePolicy, DeletePolicy may still see the attachment and answer DeleteConflict.
 * Docs: IAM User Guide, "Changes that I make are not always immediately visible"; IAM API Reference, DeletePolicy.
 * @param {number} times how many DeletePolicy calls answer DeleteConflict
 * @returns {Rule}
 */
export function deleteConflictAfterDetach(times = 2) {
  return {
    name: 'DeletePolicy sees a detachment late',
    docs: 'IAM API Reference: DeletePolicy (DeleteConflict)',
    match: is('iam:DeletePolicy'),
    respond: () => iamError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409),
    times,
  };
}

/**
 * The caller lives in another partition: GetCallerIdentity's ARN says so (aws-cn, aws-us-gov).
 * Docs: AWS General Reference, "Amazon Resource Names" (partition); STS API Reference, GetCallerIdentity.
 * @param {string} partition
 * @returns {Rule}
 */
export function callerInPartition(partition) {
  return {
    name: `caller in ${partition}`,
    docs: 'AWS General Reference: ARN format, partition; STS GetCallerIdentity',
    match: is('sts:GetCallerIdentity'),
    rewrite: (_call, body) => body.replace(/<Arn>arn:aws:/, `<Arn>arn:${partition}:`),
  };
}

/**
 * S3 answers a request signed for another region than the bucket's with 301 PermanentRedirect and the
 * bucket's region in x-amz-bucket-region (GetBucketLocation excepted: it answers from any region). moto
 * has no redirects. The SDK follows them with followRegionRedirects.
 * Docs: Amazon S3 User Guide, "Making requests" (virtual hosting, PermanentRedirect); S3 API, HeadBucket (x-amz-bucket-region).
 * @param {Record<string, string>} bucketRegions bucket name to the region it lives in
 * @returns {Rule}
 */
export function s3RegionRedirects(bucketRegions) {
  return {
    name: 'S3 redirects to the bucket region',
    docs: 'Amazon S3 User Guide: PermanentRedirect; x-amz-bucket-region',
    match: (call) =>
      call.service === 's3' &&
      call.operation !== 's3:GET location' &&
      bucketRegions[call.params.Bucket] !== undefined &&
      call.region !== bucketRegions[call.params.Bucket],
    respond: (call) => {
      const region = bucketRegions[call.params.Bucket];
      return {
        status: 301,
        type: 'application/xml',
        headers: { 'x-amz-bucket-region': region },
        body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>${call.params.Bucket}.s3.${region}.amazonaws.com</Endpoint><Bucket>${call.params.Bucket}</Bucket></Error>`,
      };
    },
  };
}

/**
 * IAM stores a principal of a trust policy as its unique ID; once that principal is deleted, GetRole shows
 * the ID (AROA… for a role, AIDA… for a user) where the ARN was, even after a principal of the same name is
 * created again, until the trust policy names the ARN anew. moto keeps the ARN.
 * Docs: IAM User Guide, "AWS JSON policy elements: Principal" (IAM role principals, unique principal IDs);
 * AWS Knowledge Center, "Why is there an unknown principal format in my IAM resource-based policy?".
 * @param {Record<string, string>} deleted principal ARN to the unique ID it had before it was deleted
 * @returns {Rule[]}
 */
export function deletedPrincipalShownById(deleted) {
  /** ARNs a trust policy write named again: IAM then stores the new principal's ID and shows its ARN. */
  const renamed = new Set();
  const arns = () => Object.keys(deleted).filter((arn) => !renamed.has(arn));
  return [
    {
      name: 'records trust policies naming a deleted principal again',
      docs: 'IAM User Guide: AWS JSON policy elements: Principal',
      match: (call) => {
        if (call.operation === 'iam:UpdateAssumeRolePolicy' || call.operation === 'iam:CreateRole') {
          const doc = call.params.PolicyDocument ?? call.params.AssumeRolePolicyDocument ?? '';
          for (const arn of Object.keys(deleted)) if (doc.includes(arn)) renamed.add(arn);
        }
        return false;
      },
      respond: () => undefined,
    },
    {
      name: 'a deleted trusted principal is shown by its unique ID',
      docs: 'IAM User Guide: AWS JSON policy elements: Principal; Knowledge Center: unknown principal format',
      match: (call) => call.operation === 'iam:GetRole' && arns().length > 0,
      rewrite: (_call, body) =>
        body.replace(/<AssumeRolePolicyDocument>([^<]*)<\/AssumeRolePolicyDocument>/, (_whole, encoded) => {
          let doc = decodeURIComponent(encoded);
          for (const arn of arns()) doc = doc.split(JSON.stringify(arn)).join(JSON.stringify(deleted[arn]));
          return `<AssumeRolePolicyDocument>${encodeURIComponent(doc)}</AssumeRolePolicyDocument>`;
        }),
    },
  ];
}

/**
 * STS refuses AssumeRoleWithWebIdentity when the role's trust policy does not allow the token (a condition on
 * its sub, aud or another claim fails): 403 AccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity".
 * moto evaluates no trust condition and always answers with credentials.
 * Docs: IAM User Guide, "Troubleshoot IAM roles" (AssumeRoleWithWebIdentity is not authorized); STS API Reference, AssumeRoleWithWebIdentity.
 * @returns {Rule}
 */
export function webIdentityRefused() {
  return {
    name: 'the trust policy refuses the web identity',
    docs: 'IAM User Guide: Troubleshoot IAM roles; STS API Reference: AssumeRoleWithWebIdentity',
    match: is('sts:AssumeRoleWithWebIdentity'),
    respond: () => ({
      status: 403,
      type: 'text/xml',
      body: '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>4a2c0f5e-0000-0000-0000-000000000001</RequestId></ErrorResponse>',
    }),
  };
}

/** An S3 (REST XML) error answer. @param {string} code @param {string} message @param {number} status */
function s3Error(code, message, status) {
  return {
    status,
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>4a2c0f5e00000000</RequestId></Error>`,
  };
}

/**
 * GetBucketRequestPayment answers the bucket's payer: Requester for the buckets listed, BucketOwner for any
 * other (moto has no such call and answers a listing).
 * Docs: Amazon S3 API Reference, GetBucketRequestPayment (RequestPaymentConfiguration, Payer).
 * @param {string[]} requesterPays the buckets with Requester Pays on
 * @returns {Rule}
 */
export function requestPayment(requesterPays) {
  return {
    name: `Requester Pays on ${requesterPays.join(', ')}`,
    docs: 'Amazon S3 API Reference: GetBucketRequestPayment',
    match: is('s3:GET requestPayment'),
    respond: (call) => ({
      status: 200,
      type: 'application/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?><RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>${requesterPays.includes(call.params.Bucket) ? 'Requester' : 'BucketOwner'}</Payer></RequestPaymentConfiguration>`,
    }),
  };
}

/**
 * Buckets of another account: a request whose x-amz-expected-bucket-owner names another account than the
 * bucket's owner is refused with 403 Access Denied. moto ignores the header (and has one account).
 * Docs: Amazon S3 User Guide, "Verifying bucket ownership with bucket owner condition".
 * @param {Record<string, string>} owners bucket name to the account that owns it
 * @returns {Rule}
 */
export function bucketOwners(owners) {
  return {
    name: `buckets of other accounts: ${Object.keys(owners).join(', ')}`,
    docs: 'Amazon S3 User Guide: Verifying bucket ownership with bucket owner condition',
    match: (call) =>
      call.service === 's3' &&
      owners[call.params.Bucket] !== undefined &&
      call.params.ExpectedBucketOwner !== undefined &&
      call.params.ExpectedBucketOwner !== owners[call.params.Bucket],
    respond: () => s3Error('AccessDenied', 'Access Denied', 403),
  };
}

/**
 * A bucket of another account: GetBucketPolicy by a caller outside the bucket owner's account is refused with
 * 405 MethodNotAllowed, whatever its permissions. moto has one account and answers the policy.
 * Docs: Amazon S3 API Reference, GetBucketPolicy ("If you have the correct permissions, but you're not using an
 * identity that belongs to the bucket owner's account, Amazon S3 returns a 405 Method Not Allowed error").
 * @param {string[]} buckets the buckets of another account than the caller's
 * @returns {Rule}
 */
export function bucketPolicyOfOtherAccount(buckets) {
  return {
    name: `bucket policies of other accounts: ${buckets.join(', ')}`,
    docs: 'Amazon S3 API Reference: GetBucketPolicy',
    match: (call) => call.operation === 's3:GET policy' && buckets.includes(call.params.Bucket),
    respond: () => s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405),
  };
}

/**
 * GetBucketLocation refused with 403 AccessDenied for the buckets listed, as for credentials without
 * s3:GetBucketLocation on them.
 * Docs: Amazon S3 API Reference, GetBucketLocation (requires s3:GetBucketLocation); Amazon S3 User Guide,
 * "Troubleshoot access denied (403 Forbidden) errors in Amazon S3".
 * @param {string[]} buckets
 * @returns {Rule}
 */
export function bucketLocationDenied(buckets) {
  return {
    name: `GetBucketLocation denied on ${buckets.join(', ')}`,
    docs: 'Amazon S3 API Reference: GetBucketLocation',
    match: (call) => call.operation === 's3:GET location' && buckets.includes(call.params.Bucket),
    respond: () => s3Error('AccessDenied', 'Access Denied', 403),
  };
}
