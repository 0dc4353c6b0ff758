// Tests run the TypeScript sources through SWC as native ESM, each file against a real app on a real database.
import { availableParallelism } from 'node:os';

export default {
  // Each file mostly waits on its app, its database and the processes it starts, so two files at a time pay off even
  // on two cores (jest's default would be one): 157 s against 215 s for the server suite here.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        target: 'es2022',
        keepClassNames: true,
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
      module: { type: 'es6' },
    }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.mjs',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.mjs',
  testTimeout: 30000,
};
