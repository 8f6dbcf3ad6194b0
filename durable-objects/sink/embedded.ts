/**
 * The default when no gateway is configured: nothing leaves the DO. Events stay in its SQLite storage
 * under retention and the DO serves history from there. The sink has no `deliver` on purpose — the
 * DO checks `sink.kind === "embedded"` and never schedules a flush, so nothing is marked delivered
 * (and made eligible for deletion) without having gone anywhere.
 */
import type { EmbeddedSink } from "./types.ts";

export const embeddedSink: EmbeddedSink = Object.freeze({ kind: "embedded" });
