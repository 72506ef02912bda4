// Jest as `npm run mutate:iam` runs it: the tests written against the IAM evaluator (src/iam/) and the access
// check's table, so a run over src/iam/ does not wait on the whole unit suite (its dry run and per-mutant reruns).
import config from './stryker.jest.config.js';

export default {
  ...config,
  testMatch: ['<rootDir>/__tests__/iam/**/*.test.ts', '<rootDir>/__tests__/access.test.ts'],
};
