// A library document in the side panel: its details, its passages as they are searched (with
// where each sits in the document), and a link to its original.

import { getJSON, openOriginal, apiKey } from "./api.js";
import { el } from "./dom.js";
import { formatSize, lang, t } from "./i18n.js";
import { displaySource, revealPanel } from "./sources.js";
import { toast } from "./toast.js";

const PAGE = 20;
const $ = (id) => document.getElementById(id);

function chunkItem(chunk) {
  const li = el("li", "doc-chunk");
  const head = el("p", "doc-chunk-head");
  const pages = chunk.page_end > chunk.page_start
    ? t("pageRange", { from: chunk.page_start, to: chunk.page_end })
    : t("page", { page: chunk.page_start });
  head.append(el("span", "doc-chunk-context", chunk.context), el("span", "doc-chunk-page", pages));
  const text = el("p", "doc-chunk-text", chunk.text);
  if (/[\u3040-\u30ff\u4e00-\u9fff]/.test(chunk.text)) text.lang = "ja";
  li.append(head, text);
  return li;
}

async function loadChunks(doc, list, more, offset) {
  more.disabled = true;
  try {
    const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    const page = await getJSON(`/v1/documents/${encodeURIComponent(doc.id)}/chunks?${params}`);
    list.append(...page.chunks.map(chunkItem));
    const shown = offset + page.chunks.length;
    more.hidden = shown >= page.total;
    more.textContent = t("moreChunks", { shown, total: page.total });
    more.onclick = () => loadChunks(doc, list, more, shown);
  } catch (error) {
    toast(`${t("loadChunksFailed")}: ${error.message}`, "error");
  } finally {
    more.disabled = false;
  }
}

function originalLink(doc) {
  const a = el("a", "btn btn-ghost btn-small", t("openOriginal"));
  a.href = `/v1/documents/${encodeURIComponent(doc.id)}/file`;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.addEventListener("click", (event) => {
    if (!apiKey()) return; // a plain link: the server needs no key
    event.preventDefault();
    openOriginal(doc.id).catch((error) => toast(error.message, "error"));
  });
  return a;
}

/** Shows `doc` (as GET /v1/documents lists it) in the side panel; `from` gets the focus back. */
export function showDocument(doc, from) {
  $("source-eyebrow").textContent = t("documentDetails");
  $("source-title").textContent = doc.title || displaySource(doc.source);
  const meta = $("source-meta");
  const updated = new Date(doc.updated_at);
  const facts = [
    displaySource(doc.source),
    doc.collection,
    doc.pages > 1 ? t("pages", { n: doc.pages }) : null,
    t("chunks", { n: doc.chunks }),
    formatSize(doc.size),
    Number.isNaN(updated.getTime()) ? null : updated.toLocaleString(lang),
    doc.status === "failed" ? `${t("statusFailed")}: ${doc.error || ""}` : null,
  ];
  meta.replaceChildren(...facts.filter(Boolean).map((fact, i) => el("span", i ? null : "source-file", fact)));
  $("source-passage").hidden = true;
  const box = $("source-chunks");
  const list = el("ol", "doc-chunk-list");
  const more = el("button", "btn btn-ghost btn-small");
  more.type = "button";
  more.hidden = true;
  box.replaceChildren(el("h3", "list-title", t("chunksTitle")), list, more);
  box.hidden = false;
  $("source-links").replaceChildren(originalLink(doc));
  revealPanel(from, doc.id);
  if (doc.chunks > 0) loadChunks(doc, list, more, 0);
}
