// Calls to the Kotae REST API: the API key (on 401), the error envelope, and SSE over fetch().

import { promptForKey } from "./dialogs.js";

const KEY = "kotae.apiKey";

/** An API failure with the server's {"error": {"type", "message"}} when it sent one. */
export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** The API key kept for this tab, or null. */
export function apiKey() {
  return sessionStorage.getItem(KEY);
}

/** An ApiError from a failed response's status and body text (JSON envelope or not). */
function errorOf(status, statusText, text) {
  let type = "http_error";
  let message = `${status} ${statusText}`;
  try {
    const body = JSON.parse(text);
    if (body && body.error) {
      type = body.error.type || type;
      message = body.error.message || message;
    }
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  return new ApiError(status, type, message);
}

async function errorFrom(response) {
  return errorOf(response.status, response.statusText, await response.text().catch(() => ""));
}

/**
 * fetch() with the API key; on 401 asks for a key and retries. Throws ApiError for any
 * status >= 400 and returns the Response otherwise.
 */
export async function apiFetch(path, init = {}) {
  let rejected = false;
  for (;;) {
    const headers = new Headers(init.headers || {});
    const key = apiKey();
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status === 401) {
      if (key) {
        sessionStorage.removeItem(KEY);
        rejected = true;
      }
      const entered = await promptForKey(rejected);
      if (!entered) throw await errorFrom(response);
      sessionStorage.setItem(KEY, entered);
      continue;
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }
}

function postOnce(path, form, key, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.upload.addEventListener("progress", (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : null);
    });
    xhr.addEventListener("load", () => resolve(xhr));
    xhr.addEventListener("error", () => reject(new TypeError("network error")));
    xhr.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    xhr.send(form);
  });
}

/**
 * POSTs multipart `form` with XMLHttpRequest, whose upload events (unlike fetch) report the
 * bytes sent: `onProgress(loaded, total)`. Asks for a key on 401 like apiFetch; returns the
 * JSON answer, throws ApiError for any status >= 400.
 */
export async function uploadForm(path, form, onProgress) {
  let rejected = false;
  for (;;) {
    const key = apiKey();
    const xhr = await postOnce(path, form, key, onProgress);
    if (xhr.status === 401) {
      if (key) {
        sessionStorage.removeItem(KEY);
        rejected = true;
      }
      const entered = await promptForKey(rejected);
      if (!entered) throw errorOf(xhr.status, xhr.statusText, xhr.responseText);
      sessionStorage.setItem(KEY, entered);
      continue;
    }
    if (xhr.status >= 400 || xhr.status === 0) throw errorOf(xhr.status, xhr.statusText, xhr.responseText);
    return JSON.parse(xhr.responseText);
  }
}

/** GET a JSON resource. */
export async function getJSON(path, init = {}) {
  return (await apiFetch(path, init)).json();
}

/** POST a JSON body; returns the response (the caller reads JSON or a stream). */
export function postJSON(path, body, init = {}) {
  return apiFetch(path, {
    ...init,
    method: "POST",
    headers: { "Content-Type": "application/json", ...(init.headers || {}) },
    body: JSON.stringify(body),
  });
}

/**
 * Server-Sent Events from a fetch() response body (EventSource cannot POST).
 * Yields {event, data} with data as the raw string; follows the WHATWG line rules.
 */
export async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  let data = [];
  // One line of the stream; returns an event when the line ends one.
  const feed = (line) => {
    if (line === "") {
      const out = data.length ? { event: event || "message", data: data.join("\n") } : null;
      event = "";
      data = [];
      return out;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let text = colon < 0 ? "" : line.slice(colon + 1);
    if (text.startsWith(" ")) text = text.slice(1);
    if (field === "event") event = text;
    else if (field === "data") data.push(text);
    return null;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    // A trailing "\r" may be the first half of "\r\n": hold it until the next chunk.
    const hold = buffer.endsWith("\r") ? "\r" : "";
    const lines = (hold ? buffer.slice(0, -1) : buffer).split(/\r\n|\n|\r/);
    buffer = lines.pop() + hold;
    for (const line of lines) {
      const out = feed(line);
      if (out) yield out;
    }
  }
  // A stream cut short of its final blank line still delivers what it carried.
  const rest = buffer.replace(/\r$/, "");
  if (rest) feed(rest);
  const last = feed("");
  if (last) yield last;
}

/**
 * Opens a document's original in a new tab. A tab cannot send the API key, so with a key the
 * server first signs a short-lived link. Never a blob: URL: that would run the file in this
 * page's origin, next to the key. The tab has no opener and gets no referrer; the server sends
 * the file sandboxed, so even an HTML original runs no script.
 */
export async function openOriginal(documentId, hash = "") {
  const base = `/v1/documents/${encodeURIComponent(documentId)}`;
  const suffix = hash ? `#${hash}` : "";
  if (!apiKey()) {
    window.open(`${base}/file${suffix}`, "_blank", "noopener,noreferrer");
    return;
  }
  // Opened during the click (a later window.open may be blocked as a pop-up), then pointed at
  // the signed link; cutting `opener` first keeps the original from reaching this page.
  const tab = window.open("about:blank", "_blank");
  if (tab) tab.opener = null;
  try {
    const { url } = await (await apiFetch(`${base}/link`, { method: "POST" })).json();
    if (tab) tab.location.replace(url + suffix);
    else window.open(url + suffix, "_blank", "noopener,noreferrer");
  } catch (error) {
    tab?.close();
    throw error;
  }
}
