// The amochan logos amoCRM asks for: a two-colour speech-bubble mark, plus a geometric
// "amochan" wordmark on the wide formats. Run directly to write the PNGs into a folder:
//   node scripts/logo/draw-logo.js <dir>
const fs = require('fs');
const path = require('path');
const { circle, roundedRect, triangle, capsule, ring, union, rasterize } = require('./shapes');

const COLORS = { background: '#f4f7fc', front: '#1f6fd9', back: '#ff8a3d', dots: '#ffffff', text: '#1b2a41' };

/** amoCRM's required file names and pixel sizes. */
const LOGOS = {
  'logo_main.png': [400, 272],
  'logo_small.png': [108, 108],
  'logo.png': [130, 100],
  'logo_medium.png': [240, 84],
  'logo_min.png': [84, 84],
};

/** The mark in a box of side s at (x, y): an orange bubble behind a blue one with three dots. */
function markLayers(x, y, s) {
  const u = (v) => v * s;
  const back = union(
    roundedRect(x + u(0.36), y + u(0.06), x + u(0.96), y + u(0.58), u(0.15)),
    triangle([x + u(0.7), y + u(0.52)], [x + u(0.88), y + u(0.52)], [x + u(0.92), y + u(0.72)]),
  );
  const frontBox = [x + u(0.04), y + u(0.28), x + u(0.7), y + u(0.82)];
  const frontTail = [
    [x + u(0.12), y + u(0.74)],
    [x + u(0.32), y + u(0.74)],
    [x + u(0.08), y + u(0.96)],
  ];
  const front = union(roundedRect(...frontBox, u(0.16)), triangle(...frontTail));
  // A background-coloured halo around the front bubble keeps the two bubbles apart at small sizes.
  const gap = u(0.035);
  const halo = union(
    roundedRect(frontBox[0] - gap, frontBox[1] - gap, frontBox[2] + gap, frontBox[3] + gap, u(0.16) + gap),
    triangle(...frontTail.map(([px, py]) => [px, py + gap])),
  );
  const dotY = y + u(0.55);
  const dots = union(...[0.2, 0.37, 0.54].map((dx) => circle(x + u(dx), dotY, u(0.05))));
  return [
    { color: COLORS.back, shape: back },
    { color: COLORS.background, shape: halo },
    { color: COLORS.front, shape: front },
    { color: COLORS.dots, shape: dots },
  ];
}

// Lower-case geometric letters on a baseline; X is the x-height. Each returns [shape, advance].
const GLYPHS = {
  o: (x, base, X, w) => [ring(x + X / 2, base - X / 2, X / 2 - w / 2, w), X],
  c: (x, base, X, w) => [ring(x + X / 2, base - X / 2, X / 2 - w / 2, w, (a) => a > 40 && a < 320), X * 0.92],
  a: (x, base, X, w) => [
    union(ring(x + X / 2, base - X / 2, X / 2 - w / 2, w), capsule(x + X - w / 2, base - X + w / 2, x + X - w / 2, base - w / 2, w / 2)),
    X,
  ],
  n: (x, base, X, w) => [arches(x, base, X, w, 1, X), X],
  m: (x, base, X, w) => [arches(x, base, X, w, 2, X * 0.8), X * 1.6 - w],
  h: (x, base, X, w) => [union(arches(x, base, X, w, 1, X), capsule(x + w / 2, base - X * 1.45, x + w / 2, base - w / 2, w / 2)), X],
};

/** n/m/h: a left stem plus `count` half-ring arches of width `span`, each with a right stem. */
function arches(x, base, X, w, count, span) {
  const parts = [capsule(x + w / 2, base - X + w / 2, x + w / 2, base - w / 2, w / 2)];
  const r = span / 2 - w / 2;
  for (let i = 0; i < count; i++) {
    const cx = x + i * (span - w) + span / 2;
    const right = cx + r;
    parts.push(
      ring(cx, base - X + span / 2, r, w, (a) => a >= 180),
      capsule(right, base - X + span / 2, right, base - w / 2, w / 2),
    );
  }
  return union(...parts);
}

const WORD = 'amochan';
const TRACKING = 0.2; // letter spacing, in x-heights

function wordWidth(X) {
  return [...WORD].reduce((sum, ch) => sum + GLYPHS[ch](0, 0, X, X * 0.2)[1] + X * TRACKING, -X * TRACKING);
}

function wordLayer(x, base, X) {
  const shapes = [];
  let cursor = x;
  for (const ch of WORD) {
    const [shape, advance] = GLYPHS[ch](cursor, base, X, X * 0.2);
    shapes.push(shape);
    cursor += advance + X * TRACKING;
  }
  return { color: COLORS.text, shape: union(...shapes) };
}

function drawLogo(width, height) {
  const layers = [];
  if (width / height >= 2.5) {
    // Banner: mark on the left, wordmark beside it.
    const s = height * 0.78;
    const x0 = height * 0.12;
    layers.push(...markLayers(x0, (height - s) / 2, s));
    const X = Math.min(height * 0.3, (width - x0 - s - height * 0.35) / 7.9);
    const left = x0 + s + (width - x0 - s - wordWidth(X)) / 2;
    layers.push(wordLayer(left, height / 2 + X * 0.6, X));
  } else if (width >= 300) {
    // Large card: mark above the wordmark.
    const X = width * 0.085;
    const s = height * 0.56;
    layers.push(...markLayers((width - s) / 2, height * 0.07, s));
    layers.push(wordLayer((width - wordWidth(X)) / 2, height * 0.88, X));
  } else {
    const s = Math.min(width, height) * 0.84;
    layers.push(...markLayers((width - s) / 2, (height - s) / 2, s));
  }
  return rasterize(width, height, COLORS.background, layers);
}

/** Writes every logo into `dir`; returns their names. */
function writeLogos(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, [w, h]] of Object.entries(LOGOS)) fs.writeFileSync(path.join(dir, name), drawLogo(w, h));
  return Object.keys(LOGOS);
}

module.exports = { LOGOS, drawLogo, writeLogos };

if (require.main === module) {
  const dir = process.argv[2] || path.join(__dirname, '..', '..', 'dist', 'images');
  console.log(`wrote ${writeLogos(dir).join(', ')} to ${dir}`);
}
