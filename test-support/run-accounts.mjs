// @ts-check
// Runs the bundled accounts sub-action (accounts/action.yml, dist/accounts/index.js) the way the runner does:
// INPUT_* with its action.yml's defaults, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and an event payload file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseOutputFile, root } from './run-action.mjs';

const action = parse(readFileSync(join(root, 'accounts', 'action.yml'), 'utf8'));

/**
 * @param {{ inputs?: Record<string, string>, env?: Record<string, string>, eventName?: string, event?: unknown, cwd?: string }} options
 * @returns {Promise<{ code: number, stdout: string, outputs: Record<string, string>, summary: string, errors: string[], warnings: string[] }>}
 */
export async function runAccounts({ inputs = {}, env = {}, eventName = 'push', event = {}, cwd }) {
  for (const name of Object.keys(inputs))
    if (!(name in action.inputs)) throw new Error(`runAccounts: '${name}' is not an input of accounts/action.yml`);
  const dir = mkdtempSync(join(tmpdir(), 'activeloop-accounts-'));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), event: join(dir, 'event.json') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify(event));
  /** @type {Record<string, string>} */
  const inputEnv = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    let value = inputs[name] ?? spec.default ?? '';
    if (typeof value === 'string' && value.includes('${{')) value = '';
    inputEnv[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  const child = spawn(process.execPath, [join(root, 'dist', 'accounts', 'index.js')], {
    cwd: cwd ?? dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_EVENT_NAME: eventName,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_REPOSITORY: 'octo-org/data-platform',
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
      ...inputEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  const result = {
    code: /** @type {number} */ (code),
    stdout,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    errors: stdout.split('\n').filter((l) => l.startsWith('::error')),
    warnings: stdout.split('\n').filter((l) => l.startsWith('::warning')),
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}
