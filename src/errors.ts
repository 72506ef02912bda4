// Turning AWS SDK errors into sentences a workflow author can act on.

export function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: string; Code?: string; code?: string };
    return e.name || e.Code || e.code || 'Error';
  }
  return 'Error';
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** IAM's "not found" (the SDK names it with or without the Exception suffix). */
export function isNoSuchEntity(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchEntity' || name === 'NoSuchEntityException';
}

function isLimitExceeded(error: unknown): boolean {
  const name = errorName(error);
  return name === 'LimitExceeded' || name === 'LimitExceededException';
}

/**
 * IAM answers LimitExceeded both for an account quota (trust policy size, policies per role, ...) and for a
 * policy's five versions, which a concurrent run can fill. Only the latter is a race.
 */
export function quotaExceeded(error: unknown): string | undefined {
  if (!isLimitExceeded(error)) return undefined;
  const message = error instanceof Error ? error.message : '';
  // "Cannot exceed quota for ACLSizePerRole: 2048" against "A managed policy can have up to 5 versions. ...".
  return /quota/i.test(message) ? message : undefined;
}

/** Errors a concurrent run can cause; the action re-reads and plans again instead of failing. */
export function isRace(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'EntityAlreadyExists' ||
    name === 'EntityAlreadyExistsException' ||
    name === 'ConcurrentModification' ||
    name === 'ConcurrentModificationException' ||
    (isLimitExceeded(error) && quotaExceeded(error) === undefined) ||
    isNoSuchEntity(error)
  );
}

export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name) || httpStatus(error) === 403;
}

/** What a denied call's message tells to do, when nothing more precise is known. */
export const PERMISSIONS_HINT =
  'The credentials running the action need the permissions listed in the README ("Permissions the action needs").';

/** One line that says which call failed, why, and what to do. */
export function describeAwsError(operation: string, error: unknown): string {
  const name = errorName(error);
  const message = error instanceof Error && error.message && !error.message.startsWith('Unexpected token') ? error.message : '';
  // Rejected credentials also answer 403: tell them apart from a missing permission first.
  if (/ExpiredToken|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch/.test(name)) {
    return `${operation} failed: the AWS credentials are invalid or expired (${name}${message ? `: ${message}` : ''}).`;
  }
  if (isAccessDenied(error)) {
    return `${operation} was denied (${name}${message ? `: ${message}` : ''}). ${PERMISSIONS_HINT}`;
  }
  if (/CredentialsProviderError/.test(name) || /Could not load credentials/.test(message)) {
    return `${operation} failed: no AWS credentials were found. Set role-to-assume (with permissions: id-token: write) or configure credentials in an earlier step, for example with aws-actions/configure-aws-credentials.`;
  }
  const quota = quotaExceeded(error);
  if (quota) {
    return `${operation} exceeded an IAM quota of the account (${quota}). Nothing after it was changed; see "IAM and AWS STS quotas" in the IAM User Guide, or ask AWS (Service Quotas, IAM) to raise it.`;
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/.test(name)) {
    return `${operation} was throttled by AWS and still failed after retries (${name}). Run again later, or reduce concurrent runs on this account.`;
  }
  return `${operation} failed (${name}${message ? `: ${message}` : ''}).`;
}

/** An error whose message is already a complete sentence for the workflow log. */
export class ActionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionError';
  }
}

/**
 * A write whose change was made although a later call of the same step failed (a policy's new version is
 * the default, but its tags were not written): apply counts the change as made, and the run still fails.
 */
export class PartlyAppliedError extends ActionError {
  constructor(made: string, error: unknown) {
    super(`${made}, but then: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    this.name = 'PartlyAppliedError';
  }
}

/** Wraps an AWS call so that its failure names the operation. Race errors pass through unchanged, for the caller to converge. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isRace(error) || error instanceof ActionError) throw error;
    throw new ActionError(describeAwsError(operation, error), { cause: error });
  }
}
