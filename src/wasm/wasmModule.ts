import { readFileSync } from 'node:fs';

// ES2023's lib and Node's types do not declare WebAssembly (Deno's do): what this project uses of it.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: unknown;
  }
}

/** A WebAssembly memory, as the modules of assembly/ export it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A WebAssembly global, as the modules of assembly/ export their results. */
export interface WasmGlobal {
  value: unknown;
}

/** The most a 32-bit WebAssembly memory holds: 65,536 pages of 64 KiB, less one page. */
export const MAX_MEMORY = 2 ** 32 - 65536;

/**
 * Grows `memory` to at least `bytes` (a module's `layout` said how much its regions need); the caller
 * checks `bytes` against {@link MAX_MEMORY} first, for an error of its own.
 *
 * @example
 * growMemory(exports.memory, exports.layout(rows));
 */
export function growMemory(memory: WasmMemory, bytes: number): void {
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
}

const compiled = new Map<string, WebAssembly.Module>();

/**
 * A new instance of a module built from assembly/ (`npm run build:wasm`), by its file's URL: compiled
 * once per thread, read the same way in Node and Deno.
 *
 * @example
 * const exports = wasmInstance<ScanExports>(new URL('./scanLines.wasm', import.meta.url));
 */
export function wasmInstance<Exports>(file: URL): Exports {
  let module = compiled.get(file.href);
  if (!module) compiled.set(file.href, (module = new WebAssembly.Module(readFileSync(file))));
  return new WebAssembly.Instance(module, {}).exports as Exports;
}
