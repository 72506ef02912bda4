// `npm run demo`: runs the action's main job end to end on a local AWS emulator (moto) and prints the role ARN.
import { createBucket, createKey, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { startMoto } from '../test-support/moto.mjs';
import { runAction } from '../test-support/run-action.mjs';

const buckets = 'ml-datasets\ns3://raw-images/deeplake';
const line = (text = '') => console.log(text);

line('Starting moto (local AWS emulator) ...');
const moto = await startMoto();
try {
  const key = await createKey(moto.endpoint, 'datasets');
  await createBucket(moto.endpoint, 'ml-datasets', { key: 'alias/datasets' });
  await createBucket(moto.endpoint, 'raw-images', 'AES256');
  line(`moto at ${moto.endpoint}: bucket ml-datasets (SSE-KMS, key alias/datasets), bucket raw-images (SSE-S3)`);
  line();
  line('Step input:');
  line('  with:');
  line('    buckets: |');
  for (const b of buckets.split('\n')) line(`      ${b}`);
  line();

  const first = await runAction({ endpoint: moto.endpoint, inputs: { buckets } });
  if (first.code !== 0) {
    console.error(first.stdout, first.stderr);
    throw new Error(`the action failed (exit ${first.code})`);
  }
  line(
    `Run 1 (apply): ${JSON.parse(first.outputs.plan)
      .map((c) => c.action)
      .join(', ')}`,
  );
  const second = await runAction({ endpoint: moto.endpoint, inputs: { buckets } });
  line(`Run 2 (same inputs): changed=${second.outputs.changed}, ${JSON.parse(second.outputs.plan).length} changes`);
  line();

  const role = await readRole(moto.endpoint, 'activeloop-deeplake-access');
  const policy = await readPolicy(moto.endpoint, first.outputs['policy-arn']);
  line('Trust policy (read back from IAM):');
  line(JSON.stringify(role.trust, null, 2));
  line();
  line(`Permissions policy ${first.outputs['policy-arn']} (${policy.DefaultVersionId}):`);
  line(JSON.stringify(policy.document, null, 2));
  line();
  line(`KMS key granted: ${JSON.parse(first.outputs['kms-key-arns']).join(', ')} (created for ml-datasets: ${key})`);
  line(
    `Tags: ${Object.entries(role.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  line();
  line(`role-arn: ${first.outputs['role-arn']}`);
  line('Next step: paste this role ARN into Activeloop (managed credentials).');
} finally {
  await moto.stop();
}
