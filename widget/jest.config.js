const preset = require('../jest.preset.js');

const base = preset(__dirname);

module.exports = preset(__dirname, {
  displayName: 'widget',
  transform: {
    ...base.transform,
    // Templates are imported as source strings, as webpack's asset/source does in the bundle.
    '\\.twig$': '<rootDir>/test/support/text-transform.js',
    // jose ships ESM only; compile it to CommonJS so Node-side tests can verify the host's JWTs.
    '/jose/dist/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json', 'twig'],
  moduleNameMapper: {
    ...base.moduleNameMapper,
    // amoCRM's Twig.js is the AMD module `twigjs`; the npm `twig` package is the same library.
    '^twigjs$': 'twig',
  },
  globals: { __AMOCHAN_SERVER_URL__: 'http://amochan.test' },
});
