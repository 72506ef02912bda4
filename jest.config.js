// ESM Jest: run with NODE_OPTIONS=--experimental-vm-modules (the npm scripts set it, with the warning it prints turned off).
const base = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // ts-jest transpiles each file on its own because tsconfig.json sets isolatedModules (its own option is deprecated).
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
};

export default {
  // Jest reads the timeout (tests and hooks) from the root config only; end-to-end runs take seconds.
  testTimeout: 120000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/__tests__/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.test.ts'] },
  ],
};
