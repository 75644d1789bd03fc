// The source panel: the cited passage with its span highlighted, and a link to the original.

import { apiKey, openOriginal } from "./api.js";
import { t } from "./i18n.js";
import { store } from "./store.js";
import { toast } from "./toast.js";

const panel = () => document.getElementById("source-panel");
let opener = null;
let shownDocument = null;

/** A file name or a path relative to what was ingested; never an absolute server path. */
export function displaySource(source) {
  const text = String(source || "");
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(text) ? text.split(/[\\/]/).filter(Boolean).pop() || text : text;
}

function isPdf(documentId, source) {
  const doc = store.documents.get(documentId);
  if (doc) return doc.mime === "application/pdf";
  return /\.pdf$/i.test(source || "");
}

/**
 * Shows `entry` ({label, title, source, page, text, highlightStart?, highlightEnd?,
 * documentId, supported?}) in the panel; `from` gets the focus back on close.
 */
export function showSource(entry, from) {
  document.getElementById("source-eyebrow").textContent = entry.label;
  // "Title › Section" where the document has headings.
  document.getElementById("source-title").textContent =
    entry.context || entry.title || displaySource(entry.source);

  const meta = document.getElementById("source-meta");
  meta.replaceChildren();
  const file = document.createElement("span");
  file.className = "source-file";
  file.textContent = displaySource(entry.source);
  const page = document.createElement("span");
  page.textContent = t("page", { page: entry.page });
  meta.append(file, page);
  if (entry.supported === false) {
    const warn = document.createElement("span");
    warn.className = "badge badge-warn";
    warn.textContent = t("unverified");
    warn.title = t("unverifiedHint");
    meta.append(warn);
  }
  if (typeof entry.score === "number") {
    const score = document.createElement("span");
    score.textContent = t("score", { score: entry.score.toFixed(2) });
    meta.append(score);
  }

  const passage = document.getElementById("source-passage");
  passage.replaceChildren();
  passage.hidden = false;
  document.getElementById("source-chunks").hidden = true;
  passage.lang = /[\u3040-\u30ff\u4e00-\u9fff]/.test(entry.text) ? "ja" : "en";
  const text = entry.text || "";
  const start = Math.max(0, Math.min(entry.highlightStart ?? -1, text.length));
  const end = Math.max(start, Math.min(entry.highlightEnd ?? -1, text.length));
  let mark = null;
  if (entry.highlightStart != null && end > start) {
    mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    passage.append(text.slice(0, start), mark, text.slice(end));
  } else {
    passage.append(text);
  }

  const links = document.getElementById("source-links");
  links.replaceChildren();
  if (entry.gone) {
    // The text is as it was when the answer was given; the document itself is gone.
    const note = document.createElement("span");
    note.className = "source-gone";
    note.textContent = t("sourceGone");
    links.append(note);
  } else if (entry.documentId != null) {
    const a = document.createElement("a");
    a.className = "btn btn-ghost btn-small";
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    const pdf = isPdf(entry.documentId, entry.source);
    const hash = pdf ? `page=${entry.page}` : "";
    const base = `/v1/documents/${encodeURIComponent(entry.documentId)}/file`;
    a.href = hash ? `${base}#${hash}` : base;
    a.textContent = pdf ? t("openOriginalPage", { page: entry.page }) : t("openOriginal");
    a.addEventListener("click", (event) => {
      if (!apiKey()) return;  // a plain link: the server needs no key
      event.preventDefault();
      openOriginal(entry.documentId, hash).catch((error) => toast(error.message, "error"));
    });
    links.append(a);
  }

  revealPanel(from, entry.gone ? null : entry.documentId, mark);
}

/**
 * Shows the panel once its content is in place: `from` gets the focus back on close, `documentId`
 * is the document it shows (a delete closes it), `mark` is scrolled into view.
 */
export function revealPanel(from, documentId, mark = null) {
  const root = panel();
  if (opener && opener !== from) opener.setAttribute("aria-expanded", "false");
  opener = from || null;
  if (opener) opener.setAttribute("aria-expanded", "true");
  shownDocument = documentId ?? null;
  const wasHidden = root.hidden;
  root.hidden = false;
  document.body.classList.add("source-open");
  const body = root.querySelector(".source-body");
  body.scrollTop = mark ? Math.max(0, mark.offsetTop - body.clientHeight / 3) : 0;
  if (wasHidden || !root.contains(document.activeElement)) {
    document.getElementById("source-title").focus({ preventScroll: true });
  }
}

/** True while the panel is showing. */
export function sourceOpen() {
  return !panel().hidden;
}

/** Hides the panel and gives the focus back to the chip that opened it (unless told not to). */
export function closeSource({ restoreFocus = true } = {}) {
  const root = panel();
  if (root.hidden) return;
  root.hidden = true;
  shownDocument = null;
  document.body.classList.remove("source-open");
  if (opener) {
    opener.setAttribute("aria-expanded", "false");
    if (restoreFocus && opener.isConnected) opener.focus();
  }
  opener = null;
}

/** Closes the panel when it shows a passage of the document `id` (deleted). */
export function closeSourceOfDocument(id) {
  if (shownDocument != null && shownDocument === id) closeSource({ restoreFocus: false });
}

export function initSources() {
  document.getElementById("source-close").addEventListener("click", closeSource);
}
