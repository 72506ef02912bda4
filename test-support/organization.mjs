// @ts-check
// AWS Organizations and CloudFormation StackSets on moto, for the many-account tests: the Query and JSON protocols
// called directly (neither SDK client is a dependency), and credentials in a member account.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** @typedef {{ accessKeyId: string, secretAccessKey: string, sessionToken?: string }} Credentials */

const MANAGEMENT = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The auth header moto reads the access key from (it maps the key to its account; the signature is not checked). @param {Credentials} c @param {string} service */
const auth = (c, service) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  ...(c.sessionToken ? { 'x-amz-security-token': c.sessionToken } : {}),
});

/**
 * A CloudFormation Query API call; returns the XML answer. Lists are given flat (`Accounts.member.1`).
 * @param {string} endpoint @param {Record<string, string>} params @param {Credentials} [credentials]
 */
export async function cloudFormation(endpoint, params, credentials = MANAGEMENT) {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    body: new URLSearchParams({ Version: '2010-05-15', ...params }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth(credentials, 'cloudformation') },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`CloudFormation ${params.Action}: ${res.status} ${text}`);
  return text;
}

/** An AWS Organizations JSON call. @param {string} endpoint @param {string} operation @param {object} body */
export async function organizations(endpoint, operation, body = {}) {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSOrganizationsV20161128.${operation}`,
      ...auth(MANAGEMENT, 'organizations'),
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Organizations ${operation}: ${res.status} ${text}`);
  return JSON.parse(text || '{}');
}

/** `Name.member.N` entries of a list. @param {string} name @param {string[]} values */
export const members = (name, values) => Object.fromEntries(values.map((v, i) => [`${name}.member.${i + 1}`, v]));

/** `ParameterOverrides` / `Parameters` entries. @param {string} name @param {Record<string, string>} values */
export const parameters = (name, values) =>
  Object.fromEntries(
    Object.entries(values).flatMap(([k, v], i) => [
      [`${name}.member.${i + 1}.ParameterKey`, k],
      [`${name}.member.${i + 1}.ParameterValue`, v],
    ]),
  );

/**
 * Credentials in a member account, as the StackSet execution role (or OrganizationAccountAccessRole) would give:
 * moto issues an AssumeRole's keys in the account of the role ARN.
 * @param {string} endpoint @param {string} account @param {string} [roleName]
 * @returns {Promise<Credentials>}
 */
export async function credentialsIn(endpoint, account, roleName = 'AWSCloudFormationStackSetExecutionRole') {
  const sts = new STSClient({ endpoint, region: 'us-east-1', credentials: MANAGEMENT });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: 'stackset' })))
    .Credentials;
  sts.destroy();
  return { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' };
}

/** Every `<OutputKey>`'s value of a DescribeStacks answer. @param {string} xml @returns {Record<string, string>} */
export function stackOutputs(xml) {
  return Object.fromEntries(
    [...xml.matchAll(/<OutputKey>([^<]+)<\/OutputKey>\s*<OutputValue>([^<]+)<\/OutputValue>/g)].map((m) => [m[1], m[2]]),
  );
}
