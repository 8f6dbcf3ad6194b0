// Module types for files wrangler bundles by rule (see wrangler.toml `rules`).
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
