// One jest run across every package: `npm test` (scripts/run.js) builds first, then runs this.
module.exports = {
  projects: ['<rootDir>/packages/amojo', '<rootDir>/packages/amojo-emulator', '<rootDir>/server', '<rootDir>/widget'],
};
