// The settings list of a many-account workflow (spec behaviour 17): one entry per AWS account, validated before any
// AWS call, turned into the matrix of one job per account. Pure: the accounts sub-action (src/accounts-main.ts) runs it.
import { parse, YAMLParseError } from 'yaml';
import { DEFAULT_DEPLOYER_NAME, DEPLOYER_NAME, deployerBoundaryArn, deployerRoleArn } from './deployer.js';
import { InputError, parseBucketEntry, parseTags, REGION, splitList } from './inputs.js';

/** GitHub runs at most 256 jobs of one matrix per workflow run ("Running variations of jobs in a workflow"). */
export const MAX_MATRIX_JOBS = 256;

const INPUT = 'accounts';
const ACCOUNT_ID = /^\d{12}$/;
const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];
// GitHub's rules for variable names: letters, digits and underscores, not starting with a digit or GITHUB_.
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A label for job names and the summary: printable, short, nothing GitHub's Markdown or expressions would read.
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,49}$/;

const KEYS = [
  'account',
  'name',
  'buckets',
  'region',
  'access',
  'cors',
  'tags',
  'external-id-variable',
  'deployer-name',
  'partition',
] as const;
type Key = (typeof KEYS)[number];

/** One account of the settings list, validated. */
export interface AccountSettings {
  /** The 12-digit AWS account ID. */
  account: string;
  /** A label for job names and the summary; the account ID when not given. */
  name: string;
  /** The bucket entries as written (each one valid for the action's `buckets` input). */
  buckets: string[];
  /** Empty: the workflow's AWS_REGION. */
  region: string;
  access: 'read-write' | 'read-only';
  cors: boolean;
  /** `key=value` lines for the action's `tags` input. */
  tags: string[];
  /** The repository variable holding this account's external ID. */
  externalIdVariable: string;
  deployerName: string;
  partition: string;
}

/** One job of the matrix: every value a string, as the workflow passes it to the action's inputs. */
export interface MatrixEntry {
  account: string;
  name: string;
  buckets: string;
  region: string;
  access: string;
  cors: string;
  tags: string;
  'external-id-variable': string;
  'plan-role': string;
  'apply-role': string;
  /** The deployer stack's permissions boundary, which every Activeloop role the apply role makes must carry. */
  boundary: string;
  /** The OIDC token's audience the deployer's trust policies and provider expect in the account's partition. */
  audience: string;
}

/** What the summary task needs of each account: bounded (about 80 bytes an account), unlike the matrix. */
export type AccountLabel = Pick<MatrixEntry, 'account' | 'name'>;

/**
 * The OIDC audience for an account's partition: the deployer template's provider and trust policies expect
 * `sts.amazonaws.com.cn` in aws-cn (its InAwsCn condition), `sts.amazonaws.com` elsewhere.
 */
const audienceOf = (partition: string) => (partition === 'aws-cn' ? 'sts.amazonaws.com.cn' : 'sts.amazonaws.com');

// A tag key or value with a control character: a newline would make a second `key=value` line, a second tag.
const CONTROL = /\p{Cc}/u;

/** The default repository variable of an account's external ID. */
export const externalIdVariableOf = (account: string) => `ACTIVELOOP_EXTERNAL_ID_${account}`;

/**
 * Parses the settings list: a YAML sequence of mappings (keys in KEYS). Every scalar is read as a string (YAML's
 * failsafe schema), so an account ID keeps its leading zeros and `true` is not a boolean in disguise.
 * Throws InputError naming the input `accounts`, the entry and the offending value.
 */
export function parseAccounts(raw: string): AccountSettings[] {
  let doc: unknown;
  try {
    doc = parse(raw, { schema: 'failsafe', uniqueKeys: true, maxAliasCount: 0 });
  } catch (error) {
    const reason = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new InputError(INPUT, raw, `is not a valid YAML list: ${reason}`);
  }
  if (doc === undefined || doc === null || (Array.isArray(doc) && doc.length === 0))
    throw new InputError(INPUT, raw, 'lists no account: give one entry per AWS account (account, buckets, ...)');
  if (!Array.isArray(doc)) throw new InputError(INPUT, raw, 'must be a YAML list, one entry per AWS account ("- account: ...")');
  if (doc.length > MAX_MATRIX_JOBS)
    throw new InputError(INPUT, `${doc.length} entries`, `lists more accounts than GitHub runs jobs in one matrix (${MAX_MATRIX_JOBS})`);
  const accounts = doc.map((entry, i) => parseEntry(entry, i + 1));
  const seen = new Map<string, number>();
  const names = new Map<string, number>();
  accounts.forEach((a, i) => {
    const first = seen.get(a.account);
    if (first !== undefined)
      throw new InputError(INPUT, a.account, `entries ${first} and ${i + 1} both name account ${a.account}: list each account once`);
    seen.set(a.account, i + 1);
    const named = names.get(a.name.toLowerCase());
    if (named !== undefined) throw new InputError(INPUT, a.name, `entries ${named} and ${i + 1} have the same name: names tell jobs apart`);
    names.set(a.name.toLowerCase(), i + 1);
  });
  return accounts;
}

function text(where: string, key: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new InputError(INPUT, JSON.stringify(value) ?? String(value), `${where}: '${key}' must be a single value`);
  return value.trim();
}

/** A list given as a YAML sequence or as one string (one per line or comma-separated). */
function list(where: string, key: string, value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => splitList(text(where, key, v)));
  return splitList(text(where, key, value));
}

function parseEntry(entry: unknown, n: number): AccountSettings {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    throw new InputError(
      INPUT,
      typeof entry === 'string' ? entry : JSON.stringify(entry),
      `entry ${n} must be a mapping (account: ..., buckets: ...)`,
    );
  const fields = entry as Record<string, unknown>;
  const unknown = Object.keys(fields).find((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown !== undefined) throw new InputError(INPUT, unknown, `entry ${n} has an unknown key; the keys are ${KEYS.join(', ')}`);
  const get = (key: Key) => (fields[key] === undefined ? '' : text(`entry ${n}`, key, fields[key]));

  const account = get('account');
  if (!ACCOUNT_ID.test(account))
    throw new InputError(INPUT, account, `entry ${n}: 'account' must be a 12-digit AWS account ID (quote it if it starts with 0)`);
  const where = `account ${account}`;
  const partition = get('partition') || 'aws';
  if (!PARTITIONS.includes(partition))
    throw new InputError(INPUT, partition, `${where}: 'partition' must be one of ${PARTITIONS.join(', ')}`);
  const buckets = fields.buckets === undefined ? [] : list(where, 'buckets', fields.buckets);
  if (buckets.length === 0) throw new InputError(INPUT, account, `${where}: 'buckets' lists no bucket`);
  for (const b of buckets) {
    try {
      parseBucketEntry(b);
    } catch (error) {
      // The action's own validator, so an entry accepted here is accepted by the account's job.
      if (error instanceof InputError)
        throw new InputError(INPUT, b, `${where}: ${error.message.replace(/^Input 'buckets': /, '').replace(/ \(got .*\)$/, '')}`);
      throw error;
    }
    // A bucket ARN of another partition names no bucket the account's role can reach.
    const arnPartition = /^arn:([^:]+):s3:::/.exec(b)?.[1];
    if (arnPartition !== undefined && arnPartition !== partition)
      throw new InputError(
        INPUT,
        b,
        `${where}: the bucket ARN is of partition ${arnPartition}, the account's partition is ${partition} (set 'partition', or write the ARN of ${partition})`,
      );
  }
  const name = get('name') || account;
  if (!NAME.test(name)) throw new InputError(INPUT, name, `${where}: 'name' may hold letters, digits, spaces and . _ - (at most 50)`);
  const region = get('region');
  if (region && !REGION.test(region)) throw new InputError(INPUT, region, `${where}: 'region' must be an AWS region such as us-east-1`);
  const access = get('access') || 'read-write';
  if (access !== 'read-write' && access !== 'read-only')
    throw new InputError(INPUT, access, `${where}: 'access' must be read-write or read-only`);
  const cors = get('cors') || 'false';
  if (cors !== 'true' && cors !== 'false') throw new InputError(INPUT, cors, `${where}: 'cors' must be true or false`);
  const tags = tagLines(where, fields.tags);
  const externalIdVariable = get('external-id-variable') || externalIdVariableOf(account);
  if (!VARIABLE_NAME.test(externalIdVariable) || /^GITHUB_/i.test(externalIdVariable))
    throw new InputError(
      INPUT,
      externalIdVariable,
      `${where}: 'external-id-variable' must be a GitHub variable name (letters, digits, _; not starting with a digit or GITHUB_)`,
    );
  const deployerName = get('deployer-name') || DEFAULT_DEPLOYER_NAME;
  if (!DEPLOYER_NAME.test(deployerName))
    throw new InputError(
      INPUT,
      deployerName,
      `${where}: 'deployer-name' must be the deployer stack's DeployerName (1 to 50 of A-Z a-z 0-9 + = , . @ _ -)`,
    );
  return { account, name, buckets, region, access, cors: cors === 'true', tags, externalIdVariable, deployerName, partition };
}

/** Tags as a mapping (`team: research`) or as `key=value` lines, checked by the action's own tag rules. */
function tagLines(where: string, value: unknown): string[] {
  if (value === undefined) return [];
  const control = (key: string, s: string) => {
    if (CONTROL.test(s))
      throw new InputError(
        INPUT,
        JSON.stringify(s),
        `${where}: '${key}' holds a newline or another control character, which would make it more than one tag`,
      );
    return s;
  };
  const lines =
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as Record<string, unknown>).map(
          ([k, v]) => `${control(`tags.${k}`, k)}=${control(`tags.${k}`, text(where, `tags.${k}`, v))}`,
        )
      : (Array.isArray(value) ? value.map((v) => control('tags', text(where, 'tags', v))) : text(where, 'tags', value).split(/\r?\n/))
          .map((l) => control('tags', l.trim()))
          .filter(Boolean);
  try {
    parseTags(lines.join('\n'));
  } catch (error) {
    if (error instanceof InputError) throw new InputError(INPUT, error.value, `${where}: ${error.message.replace(/ \(got .*\)$/s, '')}`);
    throw error;
  }
  return lines;
}

/** The matrix (`strategy.matrix`) of one job per account: `{ include: [...] }`, each job's roles derived from its account ID. */
export function accountsMatrix(accounts: AccountSettings[]): { include: MatrixEntry[] } {
  return {
    include: accounts.map((a) => ({
      account: a.account,
      name: a.name,
      buckets: a.buckets.join('\n'),
      region: a.region,
      access: a.access,
      cors: String(a.cors),
      tags: a.tags.join('\n'),
      'external-id-variable': a.externalIdVariable,
      'plan-role': deployerRoleArn(a.account, 'plan', a.deployerName, a.partition),
      'apply-role': deployerRoleArn(a.account, 'apply', a.deployerName, a.partition),
      boundary: deployerBoundaryArn(a.account, a.deployerName, a.partition),
      audience: audienceOf(a.partition),
    })),
  };
}

/** The accounts and their labels, in order: the summary task's input (the matrix itself outgrows an input). */
export function accountLabels(accounts: AccountSettings[]): AccountLabel[] {
  return accounts.map((a) => ({ account: a.account, name: a.name }));
}
