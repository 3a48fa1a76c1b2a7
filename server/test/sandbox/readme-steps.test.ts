import fs from 'node:fs';
import path from 'node:path';

/**
 * The root README's configuration table is what operators read: every variable config.ts accepts
 * must be in it, and nothing it lists may be gone from config.ts.
 */
const REPO = path.resolve(__dirname, '..', '..', '..');
const configSource = fs.readFileSync(path.join(REPO, 'server', 'src', 'config.ts'), 'utf8');
const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

const schemaBlock = configSource.slice(
  configSource.indexOf('const envSchema = z.object({'),
  configSource.indexOf('});', configSource.indexOf('const envSchema')),
);
const configVars = [...schemaBlock.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
const table = readme.slice(readme.indexOf('## Configuration reference'), readme.indexOf('## Operations'));
const readmeVars = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);

describe('README configuration reference', () => {
  it('finds the schema and the table', () => {
    expect(configVars.length).toBeGreaterThan(20);
    expect(readmeVars.length).toBeGreaterThan(20);
  });

  it('documents every variable of server/src/config.ts, and only those', () => {
    expect([...readmeVars].sort()).toEqual([...configVars].sort());
  });

  it('keeps the two quick-start commands', () => {
    expect(readme).toContain('npm start   # installs, builds and starts the server in sandbox mode');
    expect(readme).toContain('npm test    # installs, builds and runs the whole test suite');
  });
});
