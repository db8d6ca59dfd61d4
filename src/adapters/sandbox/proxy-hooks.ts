/**
 * Where masked secrets go in and come out of the sandbox runtime's proxy. The runtime (0.0.78)
 * puts a stand-in's real value into every header and the whole body of a request to the
 * secret's hosts and passes responses as they are; it has no option for either. The bundle
 * (scripts/build-bundle.mjs) rewrites its request and response lines to call these functions
 * instead, so a secret goes only where its config says, and every response (headers and body,
 * decoded when compressed) comes back with real values replaced by their stand-ins.
 * docs/specs/0004-sandbox.md, "Masked secrets are not reflected".
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import {
  lengthPreserving,
  type ScrubPattern,
  StreamScrubber,
  scrubPatterns,
  scrubString,
} from "../../core/scrub.js";
import { hostMatches } from "../../core/secrets.js";

/** One stand-in and where its real value may be put. */
export interface Placement {
  standIn: string;
  real: string;
  hosts: readonly string[];
  /** The one request header (lower case) whose stand-in becomes the real value. */
  header: string;
  /** Whether a request body's stand-in becomes the real value too. */
  inBody: boolean;
}

let placements: readonly Placement[] = [];
let patterns: ScrubPattern[] = [];
let keepsLength = true;
let patched = false;

/** Called by the rewritten runtime when its proxy module loads. */
export function markPatched(): void {
  patched = true;
}

/** Whether the runtime loaded in this process is the rewritten one (the bundle's). */
export function runtimePatched(): boolean {
  return patched;
}

/** The masked secrets of the current run (host memory only). */
export function setPlacements(list: readonly Placement[]): void {
  placements = list;
  patterns = scrubPatterns(list.map((p) => ({ real: p.real, standIn: p.standIn })));
  keepsLength = lengthPreserving(patterns);
}

const forHost = (host: string) => placements.filter((p) => p.hosts.some((h) => hostMatches(host, h)));

/** Encodings the proxy can read through; a request asks for these only, so replies stay scannable. */
const READABLE = new Set(["gzip", "x-gzip", "deflate", "br", "identity"]);

/** Narrows Accept-Encoding to what the proxy can decode (only while secrets are masked). */
export function limitEncodings(headers: OutgoingHttpHeaders): void {
  const ask = headers["accept-encoding"];
  if (patterns.length === 0 || ask === undefined) return;
  const kept = String(ask)
    .split(",")
    .filter((t) => READABLE.has((t.split(";")[0] as string).trim().toLowerCase()));
  headers["accept-encoding"] = kept.length > 0 ? kept.join(",").trim() : "identity";
}

/** In place of the runtime's header injection: each stand-in only into its own header. */
export function injectHeaders(headers: OutgoingHttpHeaders, host: string): void {
  limitEncodings(headers);
  for (const p of forHost(host)) {
    const v = headers[p.header];
    if (typeof v === "string") headers[p.header] = v.split(p.standIn).join(p.real);
    else if (Array.isArray(v)) headers[p.header] = v.map((x) => String(x).split(p.standIn).join(p.real));
  }
}

/** In place of the runtime's body pairs: only the secrets whose config says `in_body`. */
export function bodySubstitutions(host: string): Array<{ sentinel: Buffer; realValue: Buffer }> {
  return forHost(host)
    .filter((p) => p.inBody)
    .map((p) => ({ sentinel: Buffer.from(p.standIn), realValue: Buffer.from(p.real) }));
}

function scrubHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const key = scrubString(name, patterns);
    // A stand-in's base64 may hold "/", which no header name may: such a header is dropped
    // (writeHead would throw in the proxy).
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) continue;
    out[key] = Array.isArray(v)
      ? v.map((x) => scrubString(String(x), patterns))
      : scrubString(String(v), patterns);
  }
  return out;
}

/** A Transform that scrubs a body stream. */
export function scrubber(list: readonly ScrubPattern[] = patterns): Transform {
  const s = new StreamScrubber(list);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      cb(null, s.push(chunk));
    },
    flush(cb: TransformCallback) {
      cb(null, s.end());
    },
  });
}

/** Decoders for a Content-Encoding list (applied in order, so undone in reverse), or null when one is unknown. */
function decoders(encoding: string): Transform[] | null {
  const out: Transform[] = [];
  for (const token of encoding.split(",").reverse()) {
    const t = token.trim().toLowerCase();
    if (t === "" || t === "identity") continue;
    if (t === "gzip" || t === "x-gzip") out.push(createGunzip());
    else if (t === "deflate") out.push(createInflate());
    else if (t === "br") out.push(createBrotliDecompress());
    else return null;
  }
  return out;
}

/**
 * In place of the runtime's `res.writeHead(...); upRes.pipe(res)`: the response with every real
 * value (and its encodings) replaced by its stand-in, a compressed body decoded first. A body in
 * an encoding the proxy cannot read is refused from a secret's host and passed from others.
 */
export function respond(
  upRes: IncomingMessage,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  host: string,
  method: string | undefined,
): void {
  const status = upRes.statusCode ?? 502;
  if (patterns.length === 0) {
    res.writeHead(status, headers);
    upRes.pipe(res);
    return;
  }
  const out = scrubHeaders(headers);
  const bodyless = method === "HEAD" || status === 204 || status === 304 || status < 200;
  const encoding = bodyless ? "" : String(out["content-encoding"] ?? "");
  const decode = decoders(encoding);
  if (decode === null) {
    if (forHost(host).length > 0) {
      upRes.resume();
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(
        `Ballador: the response of ${host} is encoded as "${encoding}", which the proxy cannot read to hide masked secrets; refused\n`,
      );
      return;
    }
    res.writeHead(status, out);
    upRes.pipe(res);
    return;
  }
  if (decode.length > 0) delete out["content-encoding"];
  if (decode.length > 0 || !keepsLength) delete out["content-length"];
  res.writeHead(status, out);
  const stages: Array<Readable | Transform> = [upRes, ...decode, scrubber()];
  for (let i = 1; i < stages.length; i++) {
    const stage = stages[i] as Transform;
    (stages[i - 1] as Readable).pipe(stage);
    // A corrupt compressed body, or the client gone: tear the chain down.
    stage.on("error", () => res.destroy());
  }
  res.on("close", () => {
    for (const s of stages) s.destroy();
  });
  (stages[stages.length - 1] as Transform).pipe(res);
}
