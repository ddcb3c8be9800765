/**
 * The hardware ceilings the CPU numbers are read against, measured on this machine:
 *
 * - the GEMM micro-kernel's peak: Tessera's 4x8 register-blocked loop (the one `gemm_micro`
 *   runs) on packed panels that stay in L1, one core, with and without relaxed-SIMD fused
 *   multiply-add: the most any WebAssembly GEMM with 128-bit lanes gets from a core here;
 * - memory bandwidth: copying 256 MiB between two arrays (the rate a streaming op such as a
 *   2^20-element add can reach once its 12 MB are not in cache).
 *
 *   pnpm --dir benchmarks ceilings       (Node's default flags)
 *   pnpm --dir benchmarks ceilings:fma   (with --experimental-wasm-relaxed-simd)
 */
import { I32, V128, ModuleBuilder, doWhile, f32x4, get, i32, i32c, set, v128, type Code } from '../../packages/kernels-cpu/src/wasm/emitter.ts';

/** A module with `micro(kc, ap, bp, c, reps)`: `reps` times a kc-deep 4x8 tile product. */
function microModule(fma: boolean): Uint8Array {
  const MR = 4;
  const NR = 8;
  const mb = new ModuleBuilder({ initial: 16, maximum: 16, shared: false });
  const f = mb.func('micro', [I32, I32, I32, I32, I32]);
  const [kc, ap, bp, c, reps] = [0, 1, 2, 3, 4];
  const acc: number[] = [];
  for (let i = 0; i < MR * 2; i++) acc.push(f.local(V128));
  const b0 = f.local(V128);
  const b1 = f.local(V128);
  const a = f.local(V128);
  const k = f.local(I32);
  const pa = f.local(I32);
  const pb = f.local(I32);
  const madd = (x: Code, y: Code, z: Code): Code => (fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));
  const step: Code[] = [set(b0, v128.load(get(pb))), set(b1, v128.load(get(pb), 16))];
  for (let r = 0; r < MR; r++) {
    step.push(set(a, v128.load32Splat(get(pa), r * 4)));
    step.push(set(acc[2 * r]!, madd(get(a), get(b0), get(acc[2 * r]!))));
    step.push(set(acc[2 * r + 1]!, madd(get(a), get(b1), get(acc[2 * r + 1]!))));
  }
  const store: Code[] = acc.map((x, i) => v128.store(get(c), f32x4.add(v128.load(get(c), i * 16), get(x)), i * 16));
  f.body(
    doWhile(
      i32.gtS(get(reps), i32c(0)),
      ...acc.map((x) => set(x, v128.const(new Array<number>(16).fill(0)))),
      set(pa, get(ap)),
      set(pb, get(bp)),
      set(k, get(kc)),
      doWhile(
        i32.gtS(get(k), i32c(0)),
        ...step,
        set(pa, i32.add(get(pa), i32c(MR * 4))),
        set(pb, i32.add(get(pb), i32c(NR * 4))),
        set(k, i32.sub(get(k), i32c(1))),
      ),
      ...store,
      set(reps, i32.sub(get(reps), i32c(1))),
    ),
  );
  return mb.build();
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

async function microPeak(fma: boolean): Promise<{ best: number; median: number } | null> {
  const bytes = microModule(fma);
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return null;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
  const inst = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), { env: { memory } });
  const micro = inst.exports['micro'] as (kc: number, ap: number, bp: number, c: number, reps: number) => void;
  const fl = new Float32Array(memory.buffer);
  for (let i = 0; i < 64 * 1024; i++) fl[i] = Math.sin(i);
  const kc = 256;
  const reps = 4000;
  // A panel at 0 (4 KiB), B panel at 64 KiB (8 KiB), C at 192 KiB: all in L1/L2
  micro(kc, 0, 65536, 196608, 100);
  const rates: number[] = [];
  for (let t = 0; t < 15; t++) {
    const t0 = performance.now();
    micro(kc, 0, 65536, 196608, reps);
    rates.push((2 * 4 * 8 * kc * reps) / (performance.now() - t0) / 1e6);
  }
  return { best: Math.max(...rates), median: median(rates) };
}

function copyBandwidth(): number {
  const n = 64 << 20;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  const ms: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    b.set(a);
    ms.push(performance.now() - t0);
  }
  return (2 * n * 4) / median(ms) / 1e6;
}

const relaxed = WebAssembly.validate(microModule(true) as Uint8Array<ArrayBuffer>);
console.log(`node ${process.version}; relaxed SIMD ${relaxed ? 'available' : 'not available (run ceilings:fma)'}`);
const plain = await microPeak(false);
console.log(`GEMM micro-kernel 4x8, mul + add, one core: best ${plain!.best.toFixed(1)} GFLOP/s, median ${plain!.median.toFixed(1)}`);
if (relaxed) {
  const fused = await microPeak(true);
  console.log(`GEMM micro-kernel 4x8, relaxed_madd, one core: best ${fused!.best.toFixed(1)} GFLOP/s, median ${fused!.median.toFixed(1)}`);
}
console.log(`memory: copy of 256 MiB, median ${copyBandwidth().toFixed(1)} GB/s counting bytes read and written`);
