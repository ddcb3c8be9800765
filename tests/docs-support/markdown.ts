/**
 * Extracts the TypeScript code blocks of the guides (docs/guides/*.md) and turns them into
 * programs that tests/docs.test.ts typechecks and runs.
 *
 * Conventions a guide follows (the marker is an HTML comment on the last non-blank line before
 * a fence, invisible in the rendered page):
 *
 * - The ```ts blocks of one guide form one program, in order, as a reader who pastes them into
 *   one file would run them. `import`s may appear in any block (ES modules hoist them).
 * - `<!-- docs-test: new-program -->` starts a fresh program with this block.
 *   `<!-- docs-test: new-program (node) -->` makes it a program that runs in a process of its
 *   own (`node --import tsx`), for code that starts worker threads or needs its environment set
 *   when the process starts (WebGPU through Dawn); its standard output is what is compared.
 * - `<!-- docs-test: typecheck-only (reason) -->` typechecks a block (as its own program) but
 *   does not run it: for code that needs something this machine lacks, such as a browser.
 * - `<!-- docs-test: excerpt path/to/file.ts -->`: the block is a verbatim excerpt of a file in
 *   the repository (checked, so it cannot drift); the file itself is compiled and tested.
 * - `<!-- docs-test: output -->` before a ```text block: the console output of the preceding
 *   ```ts block must be exactly this text.
 *
 * @module
 */

/** One fenced block. */
export interface CodeBlock {
  /** The guide's file name, e.g. `memory.md`. */
  readonly guide: string;
  /** 1-based line number of the block's first code line in the guide. */
  readonly line: number;
  /** The info string's language (`ts`, `text`, `sh`, ...). */
  readonly lang: string;
  /** The code, without the fences. */
  readonly code: string;
  /** The docs-test marker before the block, if any. */
  readonly marker: Marker | undefined;
}

/** Where a program runs: imported by the test itself, or in a `node` process of its own. */
export type Runner = 'vitest' | 'node';

/** A parsed marker. */
export type Marker =
  | { readonly kind: 'new-program'; readonly runner: Runner }
  | { readonly kind: 'typecheck-only'; readonly reason: string }
  | { readonly kind: 'excerpt'; readonly path: string }
  | { readonly kind: 'output' };

const MARKER = /^<!--\s*docs-test:\s*(new-program|typecheck-only|excerpt|output)\b\s*(.*?)\s*-->$/;

/** Parses a marker comment; throws on a malformed `docs-test` comment (a typo must not pass silently). */
export function parseMarker(line: string, where: string): Marker | undefined {
  const t = line.trim();
  if (!t.startsWith('<!--') || !t.includes('docs-test')) return undefined;
  const m = MARKER.exec(t);
  if (m === null) throw new Error(`${where}: malformed docs-test marker ${JSON.stringify(t)}`);
  const arg = m[2] ?? '';
  switch (m[1]) {
    case 'new-program':
      if (arg !== '' && arg !== '(node)') throw new Error(`${where}: new-program takes no argument or (node), got ${arg}`);
      return { kind: 'new-program', runner: arg === '(node)' ? 'node' : 'vitest' };
    case 'output':
      return { kind: 'output' };
    case 'typecheck-only': {
      const reason = /^\((.+)\)$/.exec(arg)?.[1];
      if (reason === undefined) throw new Error(`${where}: typecheck-only needs a reason in parentheses`);
      return { kind: 'typecheck-only', reason };
    }
    default:
      if (arg === '') throw new Error(`${where}: excerpt needs a repository path`);
      return { kind: 'excerpt', path: arg };
  }
}

/** Every fenced block of a Markdown text, with the marker that precedes it. */
export function extractBlocks(guide: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  let lastNonBlank = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (open === null) {
      if (lines[i]!.trim() !== '') lastNonBlank = lines[i]!;
      continue;
    }
    const fence = open[2]!;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trim().startsWith(fence)) {
      body.push(lines[j]!.slice(Math.min(indent, lines[j]!.length - lines[j]!.trimStart().length)));
      j++;
    }
    if (j >= lines.length) throw new Error(`${guide}:${i + 1}: unclosed code fence`);
    const marker = parseMarker(lastNonBlank, `${guide}:${i}`);
    blocks.push({ guide, line: i + 2, lang: open[3]!.toLowerCase(), code: body.join('\n'), marker });
    lastNonBlank = lines[j]!;
    i = j;
  }
  return blocks;
}

/** A program: consecutive ts blocks of one guide, compiled and run as one module. */
export interface Program {
  /** The guide it comes from. */
  readonly guide: string;
  /** File name of the program (relative to the output folder). */
  readonly file: string;
  /** Its blocks, in order. */
  readonly blocks: readonly CodeBlock[];
  /** Whether it runs (false for typecheck-only blocks). */
  readonly run: boolean;
  /** Where it runs. */
  readonly runner: Runner;
  /** The generated source. */
  readonly source: string;
  /** For every line of `source` (0-based), the guide line it comes from (1-based; 0 if generated). */
  readonly lineMap: readonly number[];
  /** For each block (by index in `blocks`), the ```text output expected after it, if any. */
  readonly expectedOutput: ReadonlyMap<number, { readonly text: string; readonly line: number }>;
}

/** The console line that separates the output of consecutive blocks of a program. */
export function blockMarker(index: number): string {
  return `\u0000docs-block ${index}`;
}

const isTs = (b: CodeBlock): boolean => b.lang === 'ts' || b.lang === 'typescript';

/** Groups the blocks of one guide into programs. */
export function buildPrograms(guide: string, blocks: readonly CodeBlock[]): Program[] {
  const groups: { blocks: CodeBlock[]; run: boolean; runner: Runner; outputs: Map<number, { text: string; line: number }> }[] = [];
  let current: (typeof groups)[number] | undefined;
  let previousTs: { group: (typeof groups)[number]; index: number } | undefined;
  for (const b of blocks) {
    if (b.marker?.kind === 'output') {
      if (b.lang !== 'text') throw new Error(`${guide}:${b.line}: an output marker must precede a \`\`\`text block`);
      if (previousTs === undefined || !previousTs.group.run) {
        throw new Error(`${guide}:${b.line}: an output block must follow a ts block that runs`);
      }
      previousTs.group.outputs.set(previousTs.index, { text: b.code, line: b.line });
      continue;
    }
    if (!isTs(b) || b.marker?.kind === 'excerpt') {
      previousTs = undefined;
      continue;
    }
    if (b.marker?.kind === 'typecheck-only') {
      const g = { blocks: [b], run: false, runner: 'vitest' as Runner, outputs: new Map() };
      groups.push(g);
      previousTs = undefined;
      continue;
    }
    if (current === undefined || b.marker?.kind === 'new-program') {
      current = { blocks: [], run: true, runner: b.marker?.kind === 'new-program' ? b.marker.runner : 'vitest', outputs: new Map() };
      groups.push(current);
    }
    current.blocks.push(b);
    previousTs = { group: current, index: current.blocks.length - 1 };
  }
  // typecheck-only blocks are programs of their own; the blocks around them continue one program
  const base = guide.replace(/\.md$/, '');
  return groups.map((g, n) => {
    const src: string[] = [];
    const map: number[] = [];
    const emit = (text: string, line: number): void => {
      src.push(text);
      map.push(line);
    };
    emit(`// Generated from docs/guides/${guide} by tests/docs.test.ts; do not edit.`, 0);
    g.blocks.forEach((b, i) => {
      emit(`// ---- ${guide}:${b.line}`, 0);
      if (g.run) emit(`console.log(${JSON.stringify(blockMarker(i))});`, 0);
      b.code.split('\n').forEach((l, k) => emit(l, b.line + k));
    });
    emit('export {};', 0);
    return {
      guide,
      file: `${base}/${String(n + 1).padStart(2, '0')}.ts`,
      blocks: g.blocks,
      run: g.run,
      runner: g.runner,
      source: src.join('\n') + '\n',
      lineMap: map,
      expectedOutput: g.outputs,
    };
  });
}

/** Splits a program's captured console lines into the output of each block. */
export function splitOutput(lines: readonly string[], nBlocks: number): string[] {
  const out: string[][] = Array.from({ length: nBlocks }, () => []);
  let current = -1;
  for (const l of lines) {
    const m = /^\u0000docs-block (\d+)$/.exec(l);
    if (m !== null) current = Number(m[1]);
    else if (current >= 0) out[current]!.push(l);
  }
  return out.map((ls) => ls.join('\n'));
}

/** Normalizes text for comparison: trailing spaces and trailing blank lines do not count. */
export function normalizeOutput(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}
