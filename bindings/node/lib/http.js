"use strict";
// The HTTP client of the OTLP push (history.pushOtlp, `npx agentmetrics export --endpoint`):
// fetch. The core makes no network calls: it builds each request, asks for every attempt from
// its own thread (the addon calls send() here on the JS thread) and decides from the outcome
// what happens next, a retry after a wait or a final error. send() only performs one POST and
// says what fetch saw; it never rejects.

// agm_http_response.outcome: the AGM_HTTP_* values of metrics_c.h, as the addon exports them.
const { responded: RESPONDED, connect_failed: CONNECT_FAILED, timed_out: TIMED_OUT, failed: FAILED } =
  require("./addon.js").loadAddon().constants.http;

// A receiver's reply is small (an ExportMetricsServiceResponse); the start of a huge one is enough.
const MAX_REPLY = 1 << 20;

// A connection that could not be made, or broke before a response: worth another attempt.
const CONNECT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH",
  "EHOSTDOWN", "ENETDOWN", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"]);

// The errors of a failure: fetch's TypeError("fetch failed"), its causes, and the errors of an
// AggregateError (one per address tried).
function chain(error) {
  const out = [];
  const visit = (e) => {
    if (!e || typeof e !== "object" || out.includes(e)) return;
    out.push(e);
    visit(e.cause);
    if (Array.isArray(e.errors)) e.errors.forEach(visit);
  };
  visit(error);
  return out;
}

function classify(error) {
  const errors = chain(error);
  const messages = errors.map((e) => e.message).filter((m) => typeof m === "string" && m);
  const message = [...new Set(messages)].join(": ") || String(error);
  const codes = errors.map((e) => e.code).filter((c) => typeof c === "string");
  // AbortSignal.timeout: a DOMException named TimeoutError, while connecting or reading.
  if (errors.some((e) => e.name === "TimeoutError") || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return { outcome: TIMED_OUT, error: message };
  }
  if (codes.some((c) => CONNECT_CODES.has(c))) return { outcome: CONNECT_FAILED, error: message };
  // A name that does not resolve (ENOTFOUND), TLS, a bad URL: final, as for libcurl.
  return { outcome: FAILED, error: message };
}

async function readCapped(response) {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= MAX_REPLY) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_REPLY);
}

/**
 * POST request.body to request.url with request.headers ([name, value] pairs, Content-Type
 * first), within request.timeoutMs for the whole exchange. A redirect is the receiver's answer,
 * returned as it is (final for the core), never followed.
 */
async function send(request) {
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const body = await readCapped(response);
    return { outcome: RESPONDED, status: response.status, retryAfter: response.headers.get("retry-after"), body };
  } catch (error) {
    return classify(error);
  }
}

module.exports = { send, RESPONDED, CONNECT_FAILED, TIMED_OUT, FAILED };
