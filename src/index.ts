// The action's entry point: the runner executes dist/index.js, built from this file.
import * as core from '@actions/core';
import { run } from './main.js';

// A last guard: an error that escapes run() is reported as a failed step, never as a stack trace.
process.on('unhandledRejection', async (reason) => {
  core.setFailed(`Unexpected error: ${reason instanceof Error ? reason.message : String(reason)}`);
  if (reason instanceof Error && reason.stack && core.isDebug()) core.debug(await (await import('./stack.js')).readableStack(reason.stack));
});

await run();
