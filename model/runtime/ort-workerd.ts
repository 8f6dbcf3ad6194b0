/**
 * onnxruntime-web inside workerd.
 *
 * workerd refuses to compile WebAssembly from bytes at run time ("Wasm code generation disallowed by
 * embedder"); only modules imported at build time (wrangler's CompiledWasm rule) can be instantiated.
 * ORT's emscripten glue, given `env.wasm.wasmBinary`, calls `WebAssembly.instantiate(bytes, imports)`.
 * We hand it a small sentinel buffer and, for exactly that call, instantiate the pre-compiled module
 * instead. The patch is installed once per isolate and stays; every other call goes to the original.
 */
import * as ort from "onnxruntime-web/wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";

const SENTINEL = new TextEncoder().encode("ort-workerd-precompiled-module");

function isSentinel(x: unknown): boolean {
  if (!(x instanceof Uint8Array) && !(x instanceof ArrayBuffer)) return false;
  const b = x instanceof Uint8Array ? x : new Uint8Array(x);
  if (b.byteLength !== SENTINEL.byteLength) return false;
  for (let i = 0; i < b.byteLength; i++) if (b[i] !== SENTINEL[i]) return false;
  return true;
}

let patched = false;

/** Configures ORT for workerd: one thread, no proxy worker, the precompiled module. Idempotent. */
export function ortForWorkerd(): typeof ort {
  if (!patched) {
    patched = true;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmBinary = SENTINEL;
    const original = WebAssembly.instantiate.bind(WebAssembly);
    const wasmModule = ortWasm as WebAssembly.Module;
    // The glue only takes this path once per isolate (when the wasm backend initialises).
    (WebAssembly as { instantiate: unknown }).instantiate = async (
      source: unknown,
      imports?: WebAssembly.Imports,
    ): Promise<unknown> => {
      if (isSentinel(source)) {
        const instance = await original(wasmModule, imports);
        return { instance, module: wasmModule };
      }
      return original(source as BufferSource, imports);
    };
  }
  return ort;
}
