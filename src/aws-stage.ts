// The run's AWS stage past the sign-in: the IAM, S3 and KMS clients, the read stage and apply. main.ts loads this
// module (one chunk of the bundle) once the caller-identity request is in flight, so start-up loads STS only.
import { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsClients, type AwsCredentials, type ClientOptions, commonConfig, requestHandler } from './aws.js';

export { applyChanges } from './apply.js';
export { readIam, readLive } from './live.js';
export { findPolicyByName } from './read.js';

/**
 * The run's clients past the sign-in. KMS loads only for a run that reads keys (`kms`).
 */
export async function createClients(
  region: string,
  credentials: AwsCredentials | undefined,
  options: ClientOptions = {},
): Promise<AwsClients> {
  const env = options.env ?? process.env;
  const common = commonConfig(region, credentials, options);
  // A handler per client, its agents routing each request by host (see requestHandler). S3 gets enough sockets
  // for its four bounded reads per bucket (encryption, location, policy, CORS) to run at once.
  const [iamHandler, s3Handler, kmsHandler, kms] = await Promise.all([
    requestHandler(env),
    requestHandler(env, 4 * 64),
    requestHandler(env),
    options.kms === false ? undefined : import('@aws-sdk/client-kms'),
  ]);
  const kmsClients = new Map<string, KMSClient>();
  return {
    iam: new IAMClient({ ...common, requestHandler: iamHandler }),
    // Buckets in other regions answer with a redirect; follow it.
    s3: new S3Client({ ...common, requestHandler: s3Handler, followRegionRedirects: true }),
    kmsIn: (kmsRegion) => {
      let client = kmsClients.get(kmsRegion);
      if (!client) {
        if (!kms) throw new Error('KMS client not loaded: createClients was told the run reads no keys (kms: false)');
        client = new kms.KMSClient({ ...common, requestHandler: kmsHandler, region: kmsRegion });
        kmsClients.set(kmsRegion, client);
      }
      return client;
    },
  };
}
