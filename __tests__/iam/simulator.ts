// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// The independent IAM evaluator the tests hold ours against: @cloud-copilot/iam-simulate (AGPL-3.0, a dev
// dependency, never imported from src/ and never bundled: dist.test.ts checks). Deep Lake's request as a
// session of the role, whose identity policy allows it, so only the bucket policy, key policy and boundary decide.
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/activeloop-deeplake-access`;
export const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/activeloop-deeplake-access/deeplake`;

export interface SimulatedRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  resourcePolicy?: unknown;
  boundary?: unknown;
  /** The identity policy; default: allows every S3 and KMS action. */
  identity?: unknown;
  resourceAccount?: string;
}

/** 'allowed' or 'denied' by the simulator; throws on a simulation it rejects (so no test passes on an error). */
export async function simulate(request: SimulatedRequest): Promise<'allowed' | 'denied'> {
  const result = await runSimulation(
    {
      request: {
        principal: SESSION,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: request.context,
      },
      identityPolicies: [
        {
          name: 'activeloop',
          policy: request.identity ?? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
      permissionBoundaryPolicies: request.boundary ? [{ name: 'boundary', policy: request.boundary }] : undefined,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed' ? 'allowed' : 'denied';
}
