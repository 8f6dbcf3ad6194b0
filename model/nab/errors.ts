export type NabInputErrorCode =
  "bad_timestamp" | "window_not_in_file" | "window_order" | "bad_score" | "length_mismatch";

/** Input that NAB's scorer cannot score; the message names the file (and row or window) at fault. */
export class NabInputError extends Error {
  override readonly name = "NabInputError";
  constructor(
    readonly code: NabInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}
