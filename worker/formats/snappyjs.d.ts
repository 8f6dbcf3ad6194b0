// snappyjs 0.7 ships no types. Block format (what Remote-Write 1.0 uses), pure JS.
declare module "snappyjs" {
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}
