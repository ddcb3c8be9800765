/**
 * A line chart of training loss and test accuracy per epoch, encoded as PNG with pngjs.
 * Loss (red) uses the left scale from 0 to its maximum; accuracy (blue) uses the right scale
 * from 0.8 to 1 (values below clamp to the bottom). Grid lines mark tenths of each scale.
 */
import { PNG } from 'pngjs';

type RGB = readonly [number, number, number];

/** A 3×5 pixel font for the chart's labels (rows top to bottom, 3 bits each). */
const GLYPHS: Record<string, readonly number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 2, 2], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2], '%': [5, 1, 2, 4, 5], ' ': [0, 0, 0, 0, 0], a: [0, 7, 1, 7, 7], c: [0, 7, 4, 4, 7],
  e: [7, 5, 7, 4, 7], h: [4, 4, 7, 5, 5], i: [2, 0, 2, 2, 2], l: [4, 4, 4, 4, 7], n: [0, 6, 5, 5, 5],
  o: [0, 7, 5, 5, 7], p: [0, 7, 5, 7, 4], r: [0, 7, 4, 4, 4], s: [0, 7, 6, 1, 7], t: [2, 7, 2, 2, 3],
  u: [0, 5, 5, 5, 7], y: [5, 5, 7, 1, 7],
};


export function plotHistory(loss: readonly number[], accuracy: readonly number[], width = 640, height = 360): Buffer {
  const png = new PNG({ width, height });
  const px = (x: number, y: number, c: RGB): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 4;
    png.data[i] = c[0];
    png.data[i + 1] = c[1];
    png.data[i + 2] = c[2];
    png.data[i + 3] = 255;
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px(x, y, [255, 255, 255]);
  const left = 50;
  const right = width - 50;
  const top = 20;
  const bottom = height - 40;
  for (let k = 0; k <= 10; k++) {
    const y = bottom - ((bottom - top) * k) / 10;
    for (let x = left; x <= right; x++) px(x, y, k === 0 ? [0, 0, 0] : [225, 225, 225]);
  }
  for (let y = top; y <= bottom; y++) {
    px(left, y, [0, 0, 0]);
    px(right, y, [0, 0, 0]);
  }
  const text = (str: string, x0: number, y0: number, c: RGB, scale = 2): void => {
    let x = x0;
    for (const ch of str) {
      const g = GLYPHS[ch] ?? GLYPHS[' ']!;
      for (let r = 0; r < 5; r++)
        for (let b = 0; b < 3; b++)
          if ((g[r]! >> (2 - b)) & 1) for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) px(x + b * scale + dx, y0 + r * scale + dy, c);
      x += 4 * scale;
    }
  };
  const n = Math.max(loss.length, accuracy.length);
  const xAt = (i: number): number => (n <= 1 ? (left + right) / 2 : left + ((right - left) * i) / (n - 1));
  for (let i = 0; i < n; i++) for (let d = -4; d <= 4; d++) px(xAt(i), bottom + d, [0, 0, 0]);
  const maxLoss = Math.max(1e-9, ...loss);
  const line = (values: readonly number[], toY: (v: number) => number, c: RGB): void => {
    for (let i = 0; i < values.length; i++) {
      const x0 = xAt(i);
      const y0 = toY(values[i]!);
      for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) px(x0 + dx, y0 + dy, c);
      if (i + 1 < values.length) {
        const x1 = xAt(i + 1);
        const y1 = toY(values[i + 1]!);
        const steps = Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)));
        for (let s = 0; s <= steps; s++) {
          const t = steps === 0 ? 0 : s / steps;
          for (let w = -1; w <= 1; w++) px(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + w, c);
        }
      }
    }
  };
  for (let k = 0; k <= 10; k += 5) {
    const y = bottom - ((bottom - top) * k) / 10 - 5;
    const lv = (maxLoss * k) / 10;
    text(lv.toFixed(lv < 1 ? 2 : 1), 4, y, [220, 40, 40]);
    text(`${80 + 2 * k}%`, right + 6, y, [40, 80, 220]);
  }
  for (let i = 0; i < n; i++) text(String(i + 1), xAt(i) - 3, bottom + 8, [0, 0, 0]);
  text('epoch', (left + right) / 2 - 20, height - 16, [0, 0, 0]);
  text('train loss', left + 10, 4, [220, 40, 40]);
  text('test accuracy', right - 110, 4, [40, 80, 220]);
  line(loss, (v) => bottom - ((bottom - top) * v) / maxLoss, [220, 40, 40]);
  line(accuracy, (v) => bottom - ((bottom - top) * Math.max(0, v - 0.8)) / 0.2, [40, 80, 220]);
  return PNG.sync.write(png);
}
