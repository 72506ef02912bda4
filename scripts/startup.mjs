// Start-up of the bundled action, measured to its first AWS request: a local HTTP server stands for AWS (through
// AWS_ENDPOINT_URL) and for GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), notes when the first AWS
// request arrives and how much CPU the process has used by then, and stops the process there.
//
//   node scripts/startup.mjs           (npm run bench prints the same figures after its table)
//
// The CPU ratio compares with aws-actions/configure-aws-credentials (its committed bundle, dist/index.js) to its
// first STS request, both signing in with a web identity token; point CONFIGURE_AWS_CREDENTIALS_BUNDLE at that file
// (or put it at /tmp/caws/dist/index.js). Its code is never part of this repository.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { root } from '../test-support/run-action.mjs';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const REFERENCE_DEFAULT = '/tmp/caws/dist/index.js';
const ROLE = 'arn:aws:iam::123456789012:role/github-deployer';

/** The process's CPU time so far, in ms: the sum over its threads of the time they ran (/proc/<pid>/task/<tid>/schedstat, in ns). */
function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e6;
  } catch {
    // Without per-thread schedstat: user + system time in clock ticks (usually 10 ms).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }
}

// STS's answer to a web identity sign-in (STS API Reference, AssumeRoleWithWebIdentity), for the figure after it.
const SIGNED_IN = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIASTARTUPEXAMPLE</AccessKeyId><SecretAccessKey>startup-secret</SecretAccessKey><SessionToken>startup-session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><SubjectFromWebIdentityToken>repo:octo-org/data-platform:ref:refs/heads/main</SubjectFromWebIdentityToken><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/github-deployer/startup</Arn><AssumedRoleId>AROASTARTUPEXAMPLE:startup</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>startup</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;

/**
 * A server that answers the OIDC token request and notes the first other (AWS) request, per spawned process; with
 * `afterSignIn`, it answers the sign-in (AssumeRoleWithWebIdentity) and notes the request that follows it.
 */
async function startEndpoint() {
  let waiting;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/token')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 'header.payload.signature' }));
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (waiting?.afterSignIn && /AssumeRoleWithWebIdentity/.test(`${req.headers['x-amz-target'] ?? ''} ${body}`)) {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(SIGNED_IN);
        return;
      }
      if (waiting) {
        const { pid, resolve } = waiting;
        waiting = undefined;
        resolve({ at: process.hrtime.bigint(), cpu: cpuMs(pid), target: String(req.headers['x-amz-target'] ?? req.url) });
      }
      res.writeHead(503);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () => new Promise((resolve) => server.close(resolve)),
    /**
     * Runs `node script` with `env` until its first AWS request (with `afterSignIn`: the first after the sign-in):
     * ms from spawn, and its CPU ms by then.
     */
    async firstRequest(node, script, env, { afterSignIn = false } = {}) {
      const started = process.hrtime.bigint();
      const child = spawn(node, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const seen = new Promise((resolve) => {
        waiting = { pid: child.pid, resolve, afterSignIn };
      });
      const exited = new Promise((resolve) => child.on('exit', () => resolve(undefined)));
      const first = await Promise.race([seen, exited]);
      child.kill('SIGKILL');
      await exited;
      waiting = undefined;
      if (!first) throw new Error(`${script} exited before any AWS request:\n${output.slice(0, 2000)}`);
      return { ms: Number(first.at - started) / 1e6, cpu: first.cpu };
    },
  };
}

/** The action's inputs as the runner sets them: action.yml's defaults, then `inputs`. */
function actionInputs(inputs) {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
  const env = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    let value = inputs[name] ?? spec.default ?? '';
    if (typeof value === 'string' && value.includes('${{')) value = '';
    env[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  return env;
}

/** The main bundle's JavaScript: dist/index.js and the chunks it loads on demand (not dist/accounts/, not the maps). */
export function bundleBytes() {
  const dist = join(root, 'dist');
  const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
  return {
    total: files.reduce((sum, f) => sum + statSync(join(dist, f)).size, 0),
    main: statSync(join(dist, 'index.js')).size,
  };
}

/**
 * Median start-up figures over `runs` runs of each (taken in turn, so machine noise hits all alike):
 * bare node's spawn-to-exit, the action's spawn to its first AWS request (a plan with the runner's credentials),
 * and the CPU of the action and of configure-aws-credentials to their first STS request (web identity sign-in).
 */
export async function measureStartup({
  runs = 41,
  node = process.execPath,
  reference = process.env.CONFIGURE_AWS_CREDENTIALS_BUNDLE,
} = {}) {
  const referenceBundle = reference ?? REFERENCE_DEFAULT;
  const hasReference = existsSync(referenceBundle);
  const endpoint = await startEndpoint();
  const dir = mkdtempSync(join(tmpdir(), 'activeloop-startup-'));
  // What the runner sets (configure-aws-credentials refuses to sign in without these).
  const base = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ENDPOINT_URL: endpoint.url,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'octo-org/data-platform',
    GITHUB_WORKFLOW: 'activeloop',
    GITHUB_ACTION: 'activeloop',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_WORKSPACE: dir,
  };
  const plain = {
    ...base,
    ...actionInputs({ buckets: 'startup-bucket', 'role-name': 'startup-role', mode: 'plan' }),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  };
  const oidc = {
    ...base,
    ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoint.url}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
  };
  const action = process.env.ACTION_BUNDLE ?? join(root, 'dist', 'index.js');
  const actionOidc = {
    ...oidc,
    ...actionInputs({ buckets: 'startup-bucket', mode: 'plan', 'role-to-assume': ROLE }),
    AWS_REGION: 'us-east-1',
  };
  // configure-aws-credentials reads its inputs the same way (INPUT_<NAME>, hyphens kept as in its action.yml).
  const referenceEnv = { ...oidc, 'INPUT_ROLE-TO-ASSUME': ROLE, 'INPUT_AWS-REGION': 'us-east-1' };
  const samples = { bare: [], action: [], actionCpu: [], referenceCpu: [], actionAfter: [], referenceAfter: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      spawnSync(node, ['-e', ''], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
      samples.bare.push(Number(process.hrtime.bigint() - t) / 1e6);
      samples.action.push((await endpoint.firstRequest(node, action, plain)).ms);
      samples.actionCpu.push((await endpoint.firstRequest(node, action, actionOidc)).cpu);
      if (hasReference) samples.referenceCpu.push((await endpoint.firstRequest(node, referenceBundle, referenceEnv)).cpu);
      // Like for like: both signed in and at their next request, whatever each loads after the sign-in.
      samples.actionAfter.push((await endpoint.firstRequest(node, action, actionOidc, { afterSignIn: true })).cpu);
      if (hasReference)
        samples.referenceAfter.push((await endpoint.firstRequest(node, referenceBundle, referenceEnv, { afterSignIn: true })).cpu);
    }
  } finally {
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const bare = median(samples.bare);
  const firstRequest = median(samples.action);
  const actionCpu = median(samples.actionCpu);
  const referenceCpu = hasReference ? median(samples.referenceCpu) : undefined;
  const actionAfter = median(samples.actionAfter);
  const referenceAfter = hasReference ? median(samples.referenceAfter) : undefined;
  return {
    runs,
    bare,
    firstRequest,
    overBare: firstRequest - bare,
    actionCpu,
    referenceCpu,
    actionAfter,
    referenceAfter,
    referenceBundle,
    hasReference,
  };
}

/** The lines npm run bench prints. */
export function startupLines(s, bytes = bundleBytes()) {
  const mib = (n) => (n / 1024 / 1024).toFixed(2);
  return [
    `Start-up, median of ${s.runs}: bare node ${s.bare.toFixed(0)} ms; the action's first AWS request ${s.firstRequest.toFixed(0)} ms after spawn: ${s.overBare.toFixed(0)} ms over bare node`,
    s.hasReference
      ? `CPU to the first STS request (web identity sign-in), median of ${s.runs}: the action ${s.actionCpu.toFixed(0)} ms, configure-aws-credentials ${s.referenceCpu.toFixed(0)} ms: ${(s.actionCpu / s.referenceCpu).toFixed(2)}x; ` +
        `to the first request after the sign-in: ${s.actionAfter.toFixed(0)} ms and ${s.referenceAfter.toFixed(0)} ms: ${(s.actionAfter / s.referenceAfter).toFixed(2)}x`
      : `CPU ratio against configure-aws-credentials skipped: no bundle at ${s.referenceBundle}. Set CONFIGURE_AWS_CREDENTIALS_BUNDLE to its dist/index.js (git show <tag>:dist/index.js from aws-actions/configure-aws-credentials). The action alone: ${s.actionCpu.toFixed(0)} ms CPU to its first STS request.`,
    `Bundle: ${mib(bytes.total)} MiB of JavaScript in dist/ (index.js ${mib(bytes.main)} MiB, the rest loaded on demand; dist/accounts/ and the source maps not counted)`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.env.STARTUP_RUNS ?? 41);
  for (const line of startupLines(await measureStartup({ runs }))) console.log(line);
}
