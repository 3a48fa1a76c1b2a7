// Bundles src/ into one anonymous AMD module, script.js, the shape amoCRM's RequireJS expects:
// define(["jquery", "twigjs"], factory) where the factory returns the widget constructor.
// Driven by scripts/build.js, which passes the server URL and the output directory.
const path = require('path');
const webpack = require('webpack');

// Modules the amoCRM page already has. They must never be bundled: they become define() deps.
const HOST_MODULES = ['jquery', 'underscore', 'twigjs', 'moment', 'lib/components/base/modal'];

module.exports = (env = {}) => {
  const serverUrl = env.serverUrl || process.env.WIDGET_SERVER_URL || 'http://localhost:3000';
  return {
    mode: 'production',
    target: ['web', 'es2018'],
    context: __dirname,
    entry: './src/index.ts',
    devtool: false,
    output: {
      path: env.outDir || path.join(__dirname, 'dist', 'widget'),
      filename: 'script.js',
      library: { type: 'amd', export: 'default' },
    },
    externalsType: 'amd',
    externals: Object.fromEntries(HOST_MODULES.map((name) => [name, name])),
    resolve: { extensions: ['.ts', '.js'] },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          options: {
            // Type errors are caught by `pnpm --filter @amochan/widget typecheck` and by the tests.
            transpileOnly: true,
            configFile: path.join(__dirname, 'tsconfig.json'),
            compilerOptions: { module: 'esnext', target: 'es2018', noEmit: false, sourceMap: false, declaration: false },
          },
        },
        { test: /\.twig$/, type: 'asset/source' },
      ],
    },
    plugins: [new webpack.DefinePlugin({ __AMOCHAN_SERVER_URL__: JSON.stringify(serverUrl) })],
    optimization: { splitChunks: false, runtimeChunk: false },
    performance: { hints: false },
  };
};

module.exports.HOST_MODULES = HOST_MODULES;
