// The logo files amoCRM requires, checked from the PNG header alone (signature + IHDR size).
const REQUIRED_IMAGES = {
  'images/logo_main.png': [400, 272],
  'images/logo_small.png': [108, 108],
  'images/logo.png': [130, 100],
  'images/logo_medium.png': [240, 84],
  'images/logo_min.png': [84, 84],
};
const MAX_BYTES = 300 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (buf.toString('ascii', 12, 16) !== 'IHDR') return null;
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

function checkImages(files) {
  const problems = [];
  for (const [name, [width, height]] of Object.entries(REQUIRED_IMAGES)) {
    const bytes = files[name];
    if (!bytes) {
      problems.push(`${name} is missing (PNG ${width}×${height})`);
      continue;
    }
    const size = pngSize(bytes);
    if (!size) problems.push(`${name}: not a PNG file`);
    else if (size[0] !== width || size[1] !== height) {
      problems.push(`${name}: is ${size[0]}×${size[1]}, amoCRM requires ${width}×${height}`);
    }
    if (bytes.length > MAX_BYTES) problems.push(`${name}: ${bytes.length} bytes, the limit is ${MAX_BYTES}`);
  }
  for (const name of Object.keys(files)) {
    if (name.startsWith('images/') && !name.endsWith('/') && !REQUIRED_IMAGES[name]) {
      if (!pngSize(files[name])) problems.push(`${name}: not a PNG file`);
      else if (files[name].length > MAX_BYTES) problems.push(`${name}: ${files[name].length} bytes, the limit is ${MAX_BYTES}`);
    }
  }
  return problems;
}

module.exports = { REQUIRED_IMAGES, checkImages, pngSize };
