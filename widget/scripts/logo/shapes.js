// A tiny anti-aliased rasteriser for the generated logos: shapes are point-membership tests, each
// pixel is supersampled, and layers are painted over a solid background. No fonts, no canvas —
// only pngjs, so the images are reproducible on any machine that can run the build.
const { PNG } = require('pngjs');

const SAMPLES = 4; // 4×4 samples per pixel: smooth edges at logo sizes, still fast in plain JS.

// Every shape carries `box` ([x0, y0, x1, y1]) so the rasteriser can skip pixels far from it.
const boxed = (box, inside) => Object.assign(inside, { box });

const circle = (cx, cy, r) => boxed([cx - r, cy - r, cx + r, cy + r], (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);

const roundedRect = (x0, y0, x1, y1, r) =>
  boxed([x0, y0, x1, y1], (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
    const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
    return dx * dx + dy * dy <= r * r;
  });

const triangle = (a, b, c) =>
  boxed([Math.min(a[0], b[0], c[0]), Math.min(a[1], b[1], c[1]), Math.max(a[0], b[0], c[0]), Math.max(a[1], b[1], c[1])], (x, y) => {
    const side = (p, q) => (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
    const s1 = side(a, b);
    const s2 = side(b, c);
    const s3 = side(c, a);
    return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
  });

/** A straight stroke with round ends from (ax, ay) to (bx, by). */
const capsule = (ax, ay, bx, by, r) =>
  boxed([Math.min(ax, bx) - r, Math.min(ay, by) - r, Math.max(ax, bx) + r, Math.max(ay, by) + r], (x, y) => {
    const vx = bx - ax;
    const vy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy || 1)));
    return (x - ax - t * vx) ** 2 + (y - ay - t * vy) ** 2 <= r * r;
  });

/**
 * A circular stroke of radius r and width w. `keep(angle)` limits it to an arc; angles are in
 * degrees, 0 = east, growing clockwise (screen y points down).
 */
const ring = (cx, cy, r, w, keep = () => true) =>
  boxed([cx - r - w / 2, cy - r - w / 2, cx + r + w / 2, cy + r + w / 2], (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    if (Math.abs(d - r) > w / 2) return false;
    const angle = (Math.atan2(y - cy, x - cx) * 180) / Math.PI;
    return keep(angle < 0 ? angle + 360 : angle);
  });

const inBox = (box, x, y, pad = 0) => x >= box[0] - pad && x <= box[2] + pad && y >= box[1] - pad && y <= box[3] + pad;

const union = (...shapes) =>
  boxed(
    [
      Math.min(...shapes.map((s) => s.box[0])),
      Math.min(...shapes.map((s) => s.box[1])),
      Math.max(...shapes.map((s) => s.box[2])),
      Math.max(...shapes.map((s) => s.box[3])),
    ],
    (x, y) => shapes.some((inside) => inBox(inside.box, x, y) && inside(x, y)),
  );

function hexToRgb(hex) {
  const n = parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The share of pixel (px, py) inside `shape`. Pixels wholly in or out skip the supersampling. */
function coverage(shape, px, py) {
  const corners = [shape(px, py), shape(px + 1, py), shape(px, py + 1), shape(px + 1, py + 1), shape(px + 0.5, py + 0.5)];
  if (corners.every(Boolean)) return 1;
  if (!corners.some(Boolean) && !shape(px + 0.25, py + 0.25) && !shape(px + 0.75, py + 0.75)) return 0;
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      if (shape(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES)) hits++;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

/** Paints `layers` ([{color:'#rrggbb', shape}]) in order over `background` and encodes a PNG. */
function rasterize(width, height, background, layers) {
  const png = new PNG({ width, height });
  const bg = hexToRgb(background);
  const paints = layers.map((layer) => ({ rgb: hexToRgb(layer.color), shape: layer.shape }));
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      let [r, g, b] = bg;
      for (const { rgb, shape } of paints) {
        const a = inBox(shape.box, px + 0.5, py + 0.5, 1) ? coverage(shape, px, py) : 0;
        if (a === 0) continue;
        r += (rgb[0] - r) * a;
        g += (rgb[1] - g) * a;
        b += (rgb[2] - b) * a;
      }
      const i = (py * width + px) * 4;
      png.data[i] = Math.round(r);
      png.data[i + 1] = Math.round(g);
      png.data[i + 2] = Math.round(b);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

module.exports = { circle, roundedRect, triangle, capsule, ring, union, rasterize };
