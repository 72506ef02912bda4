// The ceiling's fix in an account whose deployer stack a StackSet made (docs/organizations.md): the StackSet owns
// the stack's parameters, so the fix is an update-stack-instances override from the administrator account, never
// a deploy in the member account (the next StackSet operation would undo it).
import { describe, expect, it } from '@jest/globals';
import { ceilingError, type DeployerStack, stackSetInstanceUpdate, stackUpdate } from '../src/deployer.js';
import type { PolicyDocument } from '../src/policy.js';

const ACCOUNT = '222222222222';
const instance: DeployerStack = {
  roleName: 'activeloop-apply',
  boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary`,
  // CloudFormation's name for a StackSet instance's stack: StackSet-<stack-set name>-<UUID>.
  stackName: 'StackSet-activeloop-deployer-3f1c2a9e-7b4d-4e2f-9a1b-0c8d7e6f5a4b',
};

/** The AWS CLI's shorthand for one structure, after the shell took the single quotes: `\,` is a comma in a value. */
function shorthand(argument: string): Record<string, string> {
  const unquoted = /^'(.*)'$/.exec(argument)?.[1] ?? argument;
  const pairs = unquoted.split(/(?<!\\),(?=[A-Za-z]+=)/);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1).replace(/\\,/g, ',')]));
}

describe('the fix in a StackSet instance', () => {
  it('is update-stack-instances from the administrator account: stack-set name, account, region, the escaped Buckets', () => {
    const fix = stackUpdate(instance, ['kms-lake', 'plain-lake'], ['analytics-lake']);
    expect(fix).toContain(
      'aws cloudformation update-stack-instances --stack-set-name activeloop-deployer --deployment-targets Accounts=222222222222 ' +
        "--regions us-east-1 --parameter-overrides 'ParameterKey=Buckets,ParameterValue=kms-lake\\,plain-lake\\,analytics-lake'",
    );
    expect(fix).not.toContain('aws cloudformation deploy');
    expect(fix).toContain('--call-as DELEGATED_ADMIN');
    expect(fix).toContain('a self-managed StackSet takes --accounts 222222222222 instead of --deployment-targets');
    const argument = /--parameter-overrides ('[^']+')/.exec(fix)?.[1] ?? '';
    expect(shorthand(argument)).toEqual({ ParameterKey: 'Buckets', ParameterValue: 'kms-lake,plain-lake,analytics-lake' });
  });

  it("names the partition's region and an unknown account's placeholder", () => {
    const cn = { ...instance, boundaryArn: `arn:aws-cn:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary` };
    expect(stackSetInstanceUpdate(cn, ['a-lake'], ['a-lake'])).toContain('--regions cn-northwest-1 ');
    const eusc = { ...instance, boundaryArn: cn.boundaryArn.replace('aws-cn', 'aws-eusc') };
    expect(stackSetInstanceUpdate(eusc, ['a-lake'], ['a-lake'])).toContain('--regions eusc-de-east-1 ');
    expect(stackSetInstanceUpdate({ stackName: 'StackSet-team-b' }, ['a-lake'], ['a-lake'])).toContain(
      '--stack-set-name team-b --deployment-targets Accounts=ACCOUNT-ID ',
    );
  });

  it('leaves any other stack to the deploy command', () => {
    for (const stackName of ['activeloop-deployer', 'my-StackSet-copy', undefined])
      expect(stackSetInstanceUpdate({ stackName, boundaryArn: instance.boundaryArn }, ['a-lake'], ['a-lake'])).toBeUndefined();
    expect(stackUpdate({ roleName: 'activeloop-apply', stackName: 'activeloop-deployer' }, ['a-lake'], ['b-lake'])).toContain(
      'aws cloudformation deploy --stack-name activeloop-deployer',
    );
  });

  it("is the plan's failure when the boundary does not cover a bucket", () => {
    const boundary: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::kms-lake', 'arn:aws:s3:::kms-lake/*'] }],
    };
    const error = ceilingError(instance, boundary, ['new-lake']);
    expect(error.message).toContain("'ParameterKey=Buckets,ParameterValue=kms-lake\\,new-lake'");
    expect(error.message).toContain('--deployment-targets Accounts=222222222222');
  });
});
