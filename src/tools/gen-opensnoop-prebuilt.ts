/**
 * Regenerates ./opensnoop-prebuilt.generated.ts from opensnoop's eDSL programs (see
 * ./opensnoop-prebuilt-build.ts). Run it after changing the programs or the compiler:
 * `node --import tsx src/tools/gen-opensnoop-prebuilt.ts` (test/unit/opensnoop-prebuilt.test.ts
 * fails until then). It lives under src/ because only src/, test/, bench/, examples/ and bin/ may
 * import src/ (test/unit/layering.test.ts).
 * @module
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpensnoopPrebuilt, opensnoopPrebuiltSource } from './opensnoop-prebuilt-build.js';

/** Writes the generated module; returns its path. */
export function writeOpensnoopPrebuilt(): string {
  const out = fileURLToPath(new URL('./opensnoop-prebuilt.generated.ts', import.meta.url));
  writeFileSync(out, opensnoopPrebuiltSource(buildOpensnoopPrebuilt()));
  return out;
}

// Writes only when run as a program, never when imported.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(`wrote ${writeOpensnoopPrebuilt()}`);
