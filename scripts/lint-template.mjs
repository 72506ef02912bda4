// `npm run lint:template` (and part of `npm run lint`): AWS's CloudFormation linter, cfn-lint, on the deployer
// template. It checks what moto accepts and CloudFormation refuses (resource properties and their types,
// AllowedPattern, intrinsic functions, IAM policy grammar). cfn-lint is a Python package: run when it is on the
// PATH or in ./.venv, and say so when it is not (REQUIRE_CFN_LINT=1 makes that a failure, as in GitHub CI).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const TEMPLATES = ['bootstrap/activeloop-deployer.yml'];
// One region of each partition the template builds ARNs for (scripts/bootstrap-template.mjs PARTITIONS): cfn-lint
// checks resource types and properties against each region's CloudFormation specification.
const REGIONS = ['us-east-1', 'cn-north-1', 'us-gov-west-1', 'eusc-de-east-1'];

/** The cfn-lint command and its version, or undefined when it is not installed. */
function cfnLint() {
  for (const command of ['cfn-lint', join('.venv', 'bin', 'cfn-lint')]) {
    try {
      const version = execFileSync(command, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      return { command, version };
    } catch {
      // Not this one (a pyenv shim without the package also fails here).
    }
  }
  return undefined;
}

const lint = cfnLint();
if (!lint) {
  const line =
    "cfn-lint is not installed: the deployer template was NOT linted (install it with 'pip install cfn-lint', see docs/development.md).";
  if (process.env.REQUIRE_CFN_LINT === '1') {
    console.error(`::error::${line}`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}
const missing = TEMPLATES.filter((t) => !existsSync(t));
if (missing.length) {
  console.error(`::error::No template at ${missing.join(', ')}.`);
  process.exit(1);
}
// Exit code 0: no finding; otherwise a bit field of errors (2), warnings (4) and informational findings (8): all fail.
const result = spawnSync(lint.command, ['--regions', ...REGIONS, '--', ...TEMPLATES], { encoding: 'utf8' });
if (result.error) throw result.error;
if (result.status !== 0) {
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  console.error(`${lint.version} found problems in ${TEMPLATES.join(', ')}.`);
  process.exit(1);
}
console.log(`${lint.version}: ${TEMPLATES.join(', ')}: no findings.`);
