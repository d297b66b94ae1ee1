/**
 * C source for a set of types: every struct and union they use, defined in an order that
 * compiles (a type after the types it contains), as a header to share with C code.
 * @module
 */

import type { SomeType } from './c-type.js';
import type { AnyType } from './codegen.js';
import { TypeDeclarationError } from './errors.js';

/**
 * The definitions of the structs and unions `types` use (themselves included), dependencies
 * first (pointees too), separated by blank lines. Throws {@link TypeDeclarationError} when two different types share a C name.
 */
export function cDeclarations(...types: SomeType[]): string {
  const defined = new Map<string, SomeType>();
  const out: string[] = [];
  const visit = (type: SomeType): void => {
    const t = type as AnyType;
    switch (t.kind) {
      case 'array': visit(t.element); return;
      case 'ptr': if (t.target !== null) visit(t.target); return;
      case 'struct': case 'union': {
        const seen = defined.get(t.cName);
        if (seen !== undefined) {
          if (seen !== t) throw new TypeDeclarationError(t.cName, '', 'two different types have this name');
          return;
        }
        defined.set(t.cName, t);
        for (const f of t.fields) visit(f.type);
        out.push(t.cDefinition());
        return;
      }
      default: return;
    }
  };
  for (const t of types) visit(t);
  return out.join('\n\n') + '\n';
}
