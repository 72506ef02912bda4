// The request context (IAM User Guide, "Components of a request"): who asks (the principal), for what (the
// action), on what (the resource), with which condition keys. Condition key names are case-insensitive
// ("IAM JSON policy elements: Condition"). Pure.

/** A condition key's value: one string, or several for a multivalued key (aws:CalledVia, say). */
export type KeyValue = string | string[];

/** A value known only by the set it lies in: some address of the public internet, which one unknown (IP operators decide on it where the set does). */
export interface AddressSpace {
  space: 'public-address' | 'any-value';
}

export const PUBLIC_ADDRESS: AddressSpace = { space: 'public-address' };
/** A key present with a value the evaluator cannot know (Activeloop's own VPC endpoint, say): only operators that hold or fail for every value decide. */
export const ANY_VALUE: AddressSpace = { space: 'any-value' };

/** One possible value of a key: a value, a set of values, or undefined for absent. */
export type Candidate = KeyValue | AddressSpace | undefined;

/** A key whose value the evaluator cannot know: any value, or one of `candidates` (undefined: absent). */
export interface UnknownValue {
  unknown: true;
  candidates?: Candidate[];
}

export const isAddressSpace = (v: Candidate): v is AddressSpace => typeof v === 'object' && !Array.isArray(v);

/** The principal of a request: a session of an IAM role (its session name is not always known). */
export interface RolePrincipal {
  partition: string;
  account: string;
  /** The role's ARN, with its path. */
  roleArn: string;
  /** The session name, when known; Deep Lake's is not. */
  sessionName?: string;
}

export interface RequestContext {
  action: string;
  resource: string;
  principal?: RolePrincipal;
  /** Keys of the request, by name. A key missing here is absent from the request, unless `unknownKeys` names it. */
  keys: Record<string, KeyValue | UnknownValue>;
  /** Keys the evaluator cannot value; an entry ending in `/` or `:` names every key it begins. */
  unknownKeys?: string[];
  /** Keys known to be absent although `unknownKeys` names a prefix of them (same form); they win over it. */
  absentKeys?: string[];
  /** Policy variables are literal text: the policy's Version is not 2012-10-17 ("IAM JSON policy elements: Version"). */
  literalVariables?: boolean;
}

export type Lookup = { kind: 'present'; value: KeyValue } | { kind: 'absent' } | { kind: 'unknown'; candidates?: Candidate[] };

const isUnknown = (v: KeyValue | UnknownValue): v is UnknownValue => typeof v === 'object' && !Array.isArray(v);

/** What the request carries for a condition key, compared without case. */
export function lookup(context: RequestContext, key: string): Lookup {
  const wanted = key.toLowerCase();
  const name = Object.keys(context.keys).find((k) => k.toLowerCase() === wanted);
  if (name !== undefined) {
    const value = context.keys[name];
    return isUnknown(value) ? { kind: 'unknown', candidates: value.candidates } : { kind: 'present', value };
  }
  const names = (list: string[] | undefined) =>
    (list ?? []).some((u) => {
      const prefix = u.toLowerCase();
      return /[/:]$/.test(prefix) ? wanted.startsWith(prefix) : wanted === prefix;
    });
  return names(context.unknownKeys) && !names(context.absentKeys) ? { kind: 'unknown' } : { kind: 'absent' };
}

/** The session ARN of a role session (STS names it by the role's name, without its path). */
export function sessionArn(principal: RolePrincipal, sessionName: string): string {
  const roleName = principal.roleArn.slice(principal.roleArn.lastIndexOf('/') + 1);
  return `arn:${principal.partition}:sts::${principal.account}:assumed-role/${roleName}/${sessionName}`;
}
