// Builds widget.zip exactly as `pnpm --filter @amochan/widget build` does (webpack, zip, validator),
// with WIDGET_SERVER_URL pointing at the test's server, into a temporary folder.
import { execFile } from 'child_process';
import fs from 'fs';
import JSZip from 'jszip';
import os from 'os';
import path from 'path';

const BUILD_SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'build.js');

export interface BuiltWidget {
  zipPath: string;
  files: Map<string, Buffer>;
  log: string;
  cleanup(): void;
}

export async function buildWidget(serverUrl: string): Promise<BuiltWidget> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-widget-build-'));
  const log = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [BUILD_SCRIPT, '--out-dir', outDir],
      { env: { ...process.env, WIDGET_SERVER_URL: serverUrl }, timeout: 120000 },
      (error, stdout, stderr) => (error ? reject(new Error(`widget build failed:\n${stdout}${stderr}`)) : resolve(stdout)),
    );
  });
  const zipPath = path.join(outDir, 'widget.zip');
  const zip = await JSZip.loadAsync(fs.readFileSync(zipPath));
  const files = new Map<string, Buffer>();
  for (const entry of Object.values(zip.files)) if (!entry.dir) files.set(entry.name, await entry.async('nodebuffer'));
  return { zipPath, files, log, cleanup: () => fs.rmSync(outDir, { recursive: true, force: true }) };
}
