// Jest as StrykerJS runs it: the unit tests only, without the slow tests that check files rather than logic.
import config from './jest.config.js';

const unit = config.projects.find((p) => p.displayName === 'unit');

export default {
  ...unit,
  displayName: undefined,
  testTimeout: 30000,
  // changes.test.ts runs tsc on a copy of src/, docs.test.ts reads README and examples, release.test.ts runs
  // scripts/move-major-tag.sh, bootstrap.test.ts generates and checks the whole deployer template,
  // iam/dist.test.ts reads the bundle (not in Stryker's sandbox): none tests a mutant's
  // logic. iam/differential.test.ts runs the simulator on hundreds of generated policies, seconds per mutant;
  // the conformance table and the evaluator's unit tests pin the same rules.
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/(bootstrap|changes|docs|release|iam/dist|iam/differential)\\.test\\.ts$'],
};
