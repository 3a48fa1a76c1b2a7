import { PNG } from 'pngjs';

const { LOGOS, drawLogo } = require('../scripts/logo/draw-logo');

describe('generated logos', () => {
  it.each(Object.entries(LOGOS) as Array<[string, [number, number]]>)('%s is a %j PNG, small, and not blank', (_name, [width, height]) => {
    const bytes: Buffer = drawLogo(width, height);
    expect(bytes.length).toBeLessThanOrEqual(300 * 1024);
    const png = PNG.sync.read(bytes);
    expect([png.width, png.height]).toEqual([width, height]);
    const colours = new Map<string, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const key = `${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`;
      colours.set(key, (colours.get(key) ?? 0) + 1);
    }
    // Both brand colours of the mark must cover a visible share of the image.
    const share = (rgb: string) => (colours.get(rgb) ?? 0) / (width * height);
    expect(share('31,111,217')).toBeGreaterThan(0.03); // blue front bubble
    expect(share('255,138,61')).toBeGreaterThan(0.01); // orange back bubble
    expect(colours.size).toBeGreaterThan(10); // anti-aliased edges, not flat blocks
  });

  it('is deterministic', () => {
    expect(drawLogo(84, 84).equals(drawLogo(84, 84))).toBe(true);
  });
});
