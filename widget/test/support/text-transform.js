// Jest transform: a file's text becomes its export (what webpack's asset/source does in the bundle).
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)};` };
  },
};
