// `npm run bench`: speed and size of the bundled action against moto behind a latency proxy.
// For 10, 60, 100 and 500 buckets, in plan and apply: wall time, AWS calls, mutating calls, and effective
// sequential round trips ((time with latency - time without) / latency). Then peak memory, and start-up
// (scripts/startup.mjs): ms over bare node to the first AWS request, the CPU ratio against
// configure-aws-credentials to the first STS request, and the bundle's size. Times are medians of three runs; moto's own processing time varies run to run.
import { createBucket, createKey } from '../test-support/aws-fixtures.mjs';
import { startAwsProxy } from '../test-support/aws-proxy.mjs';
import { startMoto } from '../test-support/moto.mjs';
import { runAction } from '../test-support/run-action.mjs';
import { measureStartup, startupLines } from './startup.mjs';

const LATENCY_MS = 200;
const SIZES = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : [10, 60, 100, 500];
const REPEATS = 3;
const env = { NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning' };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function seed(endpoint, count, keys) {
  const names = Array.from({ length: count }, (_, i) => `bench-${count}-bucket-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < count; i += 25) {
    // Every fifth bucket uses one of a few customer-managed keys; the others SSE-S3 or no configuration.
    await Promise.all(
      names
        .slice(i, i + 25)
        .map((name, j) =>
          createBucket(endpoint, name, (i + j) % 5 === 0 ? { key: keys[(i + j) % keys.length] } : (i + j) % 2 ? 'AES256' : undefined),
        ),
    );
  }
  return names.join('\n');
}

async function once(proxy, inputs) {
  proxy.clear();
  const result = await runAction({ endpoint: proxy.endpoint, inputs, env });
  if (result.code !== 0)
    throw new Error(
      `run failed: ${result.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error'))
        .join('\n')}`,
    );
  return {
    ms: result.ms,
    calls: proxy.calls.length,
    mutating: proxy.mutating().length,
    changes: JSON.parse(result.outputs.plan).length,
    policies: JSON.parse(result.outputs['policy-arns']).length,
  };
}

/** Median time of REPEATS runs; `inputsFor(i)` gives each run's inputs (a fresh role for each apply). */
async function measure(proxy, inputsFor) {
  const runs = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await once(proxy, inputsFor(i)));
  return { ...runs[0], ms: median(runs.map((r) => r.ms)) };
}

const moto = await startMoto();
const proxy = await startAwsProxy(moto.endpoint);
try {
  const keys = [];
  for (let i = 0; i < 5; i++) keys.push(await createKey(moto.endpoint, `bench-key-${i}`));
  const rows = [];
  let memory;
  for (const size of SIZES) {
    const buckets = await seed(moto.endpoint, size, keys);
    const results = {};
    for (const latency of [0, LATENCY_MS]) {
      proxy.options.latencyMs = latency;
      const role = (i) => `bench-${size}-${latency}-${i}`;
      results[latency] = {
        plan: await measure(proxy, (i) => ({ buckets, 'role-name': role(i), mode: 'plan' })),
        apply: await measure(proxy, (i) => ({ buckets, 'role-name': role(i) })),
        noop: await measure(proxy, () => ({ buckets, 'role-name': role(0) })),
      };
    }
    rows.push({ size, results });
    if (size === Math.max(...SIZES)) {
      proxy.options.latencyMs = 0;
      memory = (await runAction({ endpoint: proxy.endpoint, inputs: { buckets, 'role-name': 'bench-memory' }, env, measureMemory: true }))
        .maxRssKb;
    }
  }
  proxy.options.latencyMs = 0;

  const line = (cells) => `| ${cells.join(' | ')} |`;
  console.log(
    `\nLatency added per AWS request: ${LATENCY_MS} ms. Round trips = (time at ${LATENCY_MS} ms - time at 0 ms) / ${LATENCY_MS} ms. Median of ${REPEATS} runs.\n`,
  );
  console.log(
    line(['buckets', 'run', 'policies', 'changes', 'AWS calls', 'mutating calls', 'time, 0 ms', `time, ${LATENCY_MS} ms`, 'round trips']),
  );
  console.log(line(Array(9).fill('---')));
  for (const { size, results } of rows) {
    for (const [key, label] of [
      ['plan', 'plan, new role'],
      ['apply', 'apply, new role'],
      ['noop', 'apply, in sync'],
    ]) {
      const a = results[0][key];
      const b = results[LATENCY_MS][key];
      console.log(
        line([
          size,
          label,
          a.policies,
          a.changes,
          a.calls,
          a.mutating,
          `${a.ms} ms`,
          `${b.ms} ms`,
          ((b.ms - a.ms) / LATENCY_MS).toFixed(1),
        ]),
      );
    }
  }
  console.log(`\nPeak memory (${Math.max(...SIZES)} buckets, apply): ${(memory / 1024).toFixed(0)} MiB resident`);
  for (const line of startupLines(await measureStartup())) console.log(line);
} finally {
  await proxy.stop();
  await moto.stop();
}
