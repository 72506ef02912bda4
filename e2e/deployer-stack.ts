// The deployer template (bootstrap/activeloop-deployer.yml) deployed on moto's CloudFormation, and the
// documents it made read back from IAM: what the evaluators judge is what CloudFormation deployed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetPolicyCommand, GetPolicyVersionCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clients } from '../test-support/aws-fixtures.mjs';
import { root } from '../test-support/run-action.mjs';

export type Document = {
  Version?: string;
  Statement: {
    Sid?: string;
    Effect: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: unknown;
    Condition?: unknown;
  }[];
};
export type DeployerOutputs = { PlanRoleArn: string; ApplyRoleArn: string; BoundaryArn: string };

/** A CloudFormation Query API call to moto (the SDK's CloudFormation client is not a dependency). */
async function cloudFormation(motoEndpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${motoEndpoint}/`, {
    method: 'POST',
    body: new URLSearchParams({ Version: '2010-05-15', ...params }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`CloudFormation ${params.Action}: ${res.status} ${text}`);
  return text;
}

/** Creates the stack from the committed template; its outputs once CREATE_COMPLETE (throws otherwise). */
export async function deployDeployer(
  motoEndpoint: string,
  stackName: string,
  parameters: Record<string, string>,
): Promise<DeployerOutputs> {
  const params: Record<string, string> = {
    Action: 'CreateStack',
    StackName: stackName,
    TemplateBody: readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8'),
    'Capabilities.member.1': 'CAPABILITY_NAMED_IAM',
  };
  Object.entries(parameters).forEach(([key, value], i) => {
    params[`Parameters.member.${i + 1}.ParameterKey`] = key;
    params[`Parameters.member.${i + 1}.ParameterValue`] = value;
  });
  await cloudFormation(motoEndpoint, params);
  const described = await cloudFormation(motoEndpoint, { Action: 'DescribeStacks', StackName: stackName });
  if (!described.includes('<StackStatus>CREATE_COMPLETE</StackStatus>')) throw new Error(`stack ${stackName} not created: ${described}`);
  const output = (key: string) => new RegExp(`<OutputKey>${key}</OutputKey><OutputValue>([^<]+)</OutputValue>`).exec(described)?.[1] ?? '';
  return { PlanRoleArn: output('PlanRoleArn'), ApplyRoleArn: output('ApplyRoleArn'), BoundaryArn: output('BoundaryArn') };
}

/** A managed policy's default version, as IAM returns it. */
export async function policyDocument(motoEndpoint: string, arn: string): Promise<Document> {
  const { iam } = clients(motoEndpoint);
  const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
  const text = version.PolicyVersion?.Document ?? '{}';
  return JSON.parse(text.startsWith('%') ? decodeURIComponent(text) : text);
}

/** Every managed policy attached to the role (ARN and document). */
export async function attachedPolicies(motoEndpoint: string, roleArn: string): Promise<{ arn: string; document: Document }[]> {
  const { iam } = clients(motoEndpoint);
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleArn.split('/').pop() }))).AttachedPolicies ?? [];
  return Promise.all(
    attached.map(async (a) => ({ arn: a.PolicyArn as string, document: await policyDocument(motoEndpoint, a.PolicyArn as string) })),
  );
}

/**
 * The workflow's OIDC exchange for a deployer role: credentials in the role's own account, as environment
 * variables. moto checks no trust condition (test-support/web-identity.mjs judges those) and no token signature.
 */
export async function webIdentitySession(motoEndpoint: string, roleArn: string): Promise<Record<string, string>> {
  const sts = new STSClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const c = (
    await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'run-4242', WebIdentityToken: 'header.payload.signature' }),
    )
  ).Credentials;
  sts.destroy();
  return {
    AWS_ACCESS_KEY_ID: c?.AccessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: c?.SecretAccessKey ?? '',
    AWS_SESSION_TOKEN: c?.SessionToken ?? '',
  };
}
