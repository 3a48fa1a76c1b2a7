// Shared jest settings for every workspace package. Tests import sibling packages from their
// TypeScript sources (so `npm test` never runs against a stale dist), while end-to-end tests
// spawn the built dist/ entry points exactly as an operator would.
const path = require('node:path');

module.exports = function preset(dir, overrides = {}) {
  return {
    displayName: path.basename(dir),
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.jest.json') }],
    },
    moduleNameMapper: {
      '^@amochan/amojo$': path.join(__dirname, 'packages/amojo/src/index.ts'),
      '^@amochan/amojo/schemas$': path.join(__dirname, 'packages/amojo/src/schemas/index.ts'),
      '^@amochan/amojo/testing$': path.join(__dirname, 'packages/amojo/src/testing.ts'),
      '^@amochan/amojo-emulator$': path.join(__dirname, 'packages/amojo-emulator/src/index.ts'),
    },
    ...overrides,
  };
};
