// Readable stack traces for debug logs: the bundle's positions mapped back to src/*.ts with dist/index.js.map.
// Loaded only when a debug-mode run fails, so it costs a normal run nothing (no source map at start-up).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/** The stack with each `index.js:line:column` of the bundle replaced by its source position, where the map knows it. */
// The map sits beside the entry the runner started (dist/index.js); taken from argv so the bundler leaves it alone.
export async function readableStack(stack: string, mapFile = `${process.argv[1] ?? ''}.map`): Promise<string> {
  let map: SourceMap;
  try {
    if (!existsSync(mapFile)) return stack;
    map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  } catch {
    // A stack as it is beats none: this only ever runs while reporting a failure.
    return stack;
  }
  return stack.replace(/(?:file:\/\/)?[^\s()]*\/index\.js:(\d+):(\d+)/g, (position, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return position;
    const source = entry.originalSource.replace(/^.*?(src\/|node_modules\/)/, '$1');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
