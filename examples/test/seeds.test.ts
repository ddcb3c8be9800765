import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The seeds program prints every example of the two source documents; these are the numbers the
// documents print (TensorFlow 1.x), which Tessera must reproduce.
describe('seeds example', () => {
  const out = execFileSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'), ['--conditions=@tessera/source', 'src/seeds.ts'], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  it('prints the conv shape', () => expect(out).toContain('conv.shape = [2,12,12,20]'));
  it('prints the gradient functions', () => {
    expect(out).toContain('g(1, 2) = 2, 12');
    expect(out).toContain('grad1(2) = [6]');
    expect(out).toContain('grad2(2) = (12, [6])');
    expect(out).toContain('grad1(5) = (11, x), (10, y)');
    expect(out).toContain('grad2(5) = (11, [(11, x), (10, y)])');
  });
  it('prints the eager relu results', () => {
    expect(out).toContain('result1:[[0]],result2:[[5]]');
    expect(out).toContain('result3:[[0]],result4:[[5]]');
  });
  it('prints the graph cond results and the helpful error', () => {
    expect(out).toContain('[[[5]], [[0]]]');
    expect(out).toMatch(/throws: .*not known while the graph is being built.*cond\(/);
  });
  it('prints the five optimizer steps', () => expect(out).toContain('2.5 2 1.5 1 0.5'));
  it('prints compute/apply with the global step', () => expect(out).toContain('w2 = 2.5, global_step = 1'));
  it('prints a falling loss for split training', () => {
    const m = /step 0: ([\d.]+),.*step 19: ([\d.]+)/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]) / 10);
  });
});
