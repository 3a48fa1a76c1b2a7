// Archive layout and encoding: amoCRM rejects a zip whose files sit in a folder, and its upload
// errors do not say why, so every rule here names the file and the fix.
const ROOT_FILES = ['manifest.json', 'script.js'];
const ALLOWED_TOP = new Set(['manifest.json', 'script.js', 'style.css', 'i18n', 'images', 'templates']);
const TEXT_EXTENSIONS = ['.json', '.js', '.twig', '.css', '.html', '.txt', '.md'];

function checkLayout(files) {
  const problems = [];
  const names = Object.keys(files);
  for (const required of ROOT_FILES) {
    if (files[required]) continue;
    const nested = names.find((name) => name.endsWith('/' + required));
    problems.push(
      nested
        ? `${required} is at "${nested}": files must be at the zip root, zip the folder's contents, not the folder`
        : `${required} is missing from the zip root`,
    );
  }
  for (const name of names) {
    const top = name.split('/')[0];
    if (top === '__MACOSX' || name.endsWith('.DS_Store')) problems.push(`${name}: remove OS metadata from the zip`);
    else if (!ALLOWED_TOP.has(top)) problems.push(`${name}: unexpected file; amoCRM widgets hold ${[...ALLOWED_TOP].join(', ')}`);
  }
  return problems;
}

/** UTF-8 without BOM for every text file, and parseable JSON for .json. Returns parsed JSON by name. */
function checkText(files) {
  const problems = [];
  const json = {};
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [name, bytes] of Object.entries(files)) {
    if (!TEXT_EXTENSIONS.some((ext) => name.endsWith(ext))) continue;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      problems.push(`${name}: starts with a UTF-8 BOM; save it as UTF-8 without BOM`);
    }
    let text;
    try {
      text = decoder.decode(bytes);
    } catch {
      problems.push(`${name}: is not valid UTF-8`);
      continue;
    }
    if (!name.endsWith('.json')) continue;
    try {
      json[name] = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      problems.push(`${name}: invalid JSON (${error.message})`);
    }
  }
  return { problems, json };
}

module.exports = { checkLayout, checkText };
