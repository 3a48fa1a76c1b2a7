const preset = require('../jest.preset.js');

const base = preset(__dirname);
module.exports = preset(__dirname, {
  // jose 6 ships ESM only and jest on Node 20 cannot require() ESM (plain node can, so dist/ is
  // fine): transpile just that package to CommonJS for tests.
  transform: {
    ...base.transform,
    '^.+/jose/dist/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
});
