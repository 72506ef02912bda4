// @ts-check
// Starts moto_server on a free port on 127.0.0.1, installing it into ./.venv when the machine lacks it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');

/** @param {string} command */
function onPath(command) {
  try {
    execFileSync(command, ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The moto_server command: on PATH, in ./.venv, or installed into ./.venv now. */
export function motoServerCommand() {
  if (process.env.MOTO_SERVER && existsSync(process.env.MOTO_SERVER)) return process.env.MOTO_SERVER;
  if (onPath('moto_server')) return 'moto_server';
  const local = join(venv, 'bin', 'moto_server');
  if (existsSync(local)) return local;
  console.error('moto_server not found: installing moto[server] into .venv (python3 -m venv, pip install) ...');
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', 'moto[server]'], { stdio: 'inherit' });
  return local;
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Starts moto; resolves once it answers. `stop()` ends it. */
export async function startMoto() {
  const command = motoServerCommand();
  const port = await freePort();
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${log}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not start within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    /** Wipes all state. */
    reset: () => fetch(`${endpoint}/moto-api/reset`, { method: 'POST' }),
    /** Turns IAM permission checks on (body 0: from the first request on). */
    enforcePermissions: () => fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      }),
  };
}
