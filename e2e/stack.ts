// One moto and one counting proxy per test file, and a runner for the bundled action.
import type { ChildProcess } from 'node:child_process';
import { startAwsProxy } from '../test-support/aws-proxy.mjs';
import { startMoto } from '../test-support/moto.mjs';
import { runAction } from '../test-support/run-action.mjs';

export interface Stack {
  endpoint: string;
  motoEndpoint: string;
  proxy: Awaited<ReturnType<typeof startAwsProxy>>;
  moto: Awaited<ReturnType<typeof startMoto>>;
  run: (inputs: Record<string, string>, options?: Omit<Parameters<typeof runAction>[0], 'inputs'>) => ReturnType<typeof runAction>;
  stop: () => Promise<void>;
}

export type { ChildProcess };

export async function startStack(): Promise<Stack> {
  const moto = await startMoto();
  const proxy = await startAwsProxy(moto.endpoint);
  return {
    endpoint: proxy.endpoint,
    motoEndpoint: moto.endpoint,
    proxy,
    moto,
    run: (inputs, options = {}) => runAction({ endpoint: proxy.endpoint, ...options, inputs }),
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}

export const ACCOUNT = '123456789012';
export const roleArn = (name = 'activeloop-deeplake-access', path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
export const policyArn = (name = 'activeloop-deeplake-access-s3', path = '/') => `arn:aws:iam::${ACCOUNT}:policy${path}${name}`;
