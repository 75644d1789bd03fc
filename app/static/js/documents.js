// Documents: upload (picker and drag and drop), live job progress, the list, and delete.

import { ApiError, apiFetch, getJSON, uploadForm } from "./api.js";
import { explainFileError } from "./file_errors.js";
import { formatSize, t } from "./i18n.js";
import { confirmDelete } from "./dialogs.js";
import { showDocument } from "./library_view.js";
import { closeSourceOfDocument, displaySource } from "./sources.js";
import { onDocuments, setDocuments, store } from "./store.js";
import { toast } from "./toast.js";

const POLL_MS = 700;
const FINISHED = new Set(["done", "failed"]);
const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

const KINDS = { pdf: "PDF", docx: "DOC", doc: "DOC", html: "HTML", htm: "HTML", md: "MD", markdown: "MD" };

function kindOf(doc) {
  const mime = doc.mime || "";
  if (mime === "application/pdf") return "PDF";
  if (mime.includes("wordprocessingml")) return "DOC";
  if (mime.includes("html")) return "HTML";
  if (mime.includes("markdown")) return "MD";
  // A failed file may have no type yet: its name's extension tells.
  const ext = /\.([a-z0-9]+)$/i.exec(doc.source || "")?.[1]?.toLowerCase();
  return (!mime && KINDS[ext]) || "TXT";
}

/** A failed upload's reason in the UI's language, the server's own words after it. */
function uploadError(error) {
  if (!(error instanceof ApiError)) return t("networkError");
  const key = { payload_too_large: "uploadTooLarge", unauthorized: "uploadUnauthorized" }[error.type];
  return `${t(key || "uploadFailed")} (${error.message})`;
}

/** Reloads GET /v1/documents into the store and the list. */
export async function refreshDocuments() {
  try {
    const { documents } = await getJSON("/v1/documents");
    setDocuments(documents);
  } catch (error) {
    toast(`${t("loadDocsFailed")}: ${error.message}`, "error");
  }
}

function renderList(documents) {
  const list = $("doc-list");
  const docs = [...documents.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
  // A refresh while a row's button has the focus must not drop it to <body>.
  const active = document.activeElement;
  const focused = active?.closest?.("#doc-list .doc")?.dataset.documentId;
  const which = active?.classList?.contains("danger") ? "button.danger" : "button.doc-body";
  list.replaceChildren(...docs.map(docRow));
  if (focused) list.querySelector(`[data-document-id="${focused}"] ${which}`)?.focus();
  $("doc-empty").hidden = docs.length > 0;
  $("doc-count").textContent = docs.length ? String(docs.length) : "";
}

function docRow(doc) {
  const li = el("li", `doc${doc.status === "failed" ? " doc-failed" : ""}`);
  li.dataset.documentId = String(doc.id);
  const kind = kindOf(doc);
  const icon = el("span", `doc-kind kind-${kind.toLowerCase()}`, kind);
  icon.setAttribute("aria-hidden", "true");
  const body = el("button", "doc-body");
  body.type = "button";
  body.setAttribute("aria-controls", "source-panel");
  body.setAttribute("aria-expanded", "false");
  body.addEventListener("click", () => showDocument(doc, body));
  const title = el("span", "doc-title", doc.title || doc.source);
  title.title = displaySource(doc.source);
  const meta = el("span", "doc-meta");
  const parts = [doc.collection];
  if (doc.pages > 1) parts.push(t("pages", { n: doc.pages }));
  parts.push(t("chunks", { n: doc.chunks }), formatSize(doc.size));
  meta.textContent = parts.join(" · ");
  body.append(title, meta);
  if (doc.status === "failed") {
    const err = el("span", "doc-error", `${t("statusFailed")}: ${explainFileError(doc.error)}`);
    body.append(err);
  }
  const remove = el("button", "icon-btn small danger");
  remove.type = "button";
  remove.setAttribute("aria-label", t("deleteDoc", { title: doc.title || doc.source }));
  remove.title = t("delete");
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6");
  svg.append(path);
  remove.append(svg);
  remove.addEventListener("click", () => deleteDocument(doc, li));
  li.append(icon, body, remove);
  return li;
}

async function deleteDocument(doc, row) {
  const title = doc.title || doc.source;
  if (!(await confirmDelete(t("deleteText", { title, chunks: doc.chunks })))) return;
  try {
    await apiFetch(`/v1/documents/${encodeURIComponent(doc.id)}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      toast(error.message, "error");
      return;
    }
  }
  // Keep keyboard users in the list: focus the next row's button, or the previous one's.
  const next = row.nextElementSibling || row.previousElementSibling;
  closeSourceOfDocument(doc.id);
  const documents = new Map(store.documents);
  documents.delete(doc.id);
  setDocuments([...documents.values()]);
  const target = next && $("doc-list").querySelector(`[data-document-id="${next.dataset.documentId}"] button.danger`);
  (target || $("pick-files")).focus();
  toast(t("deleted", { title }));
  refreshDocuments();
}

/** A card for one upload: a bar for the job and a row per file. */
class JobCard {
  constructor(files) {
    this.el = el("li", "job job-queued");
    const head = el("div", "job-head");
    this.title = el("span", "job-title",
      files.length === 1 ? files[0].name : t("uploadFiles", { n: files.length }));
    this.status = el("span", "job-status", t("jobQueued"));
    const dismiss = el("button", "icon-btn small", "×");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", t("dismiss"));
    dismiss.addEventListener("click", () => {
      this.stopped = true;
      this.el.remove();
    });
    head.append(this.title, this.status, dismiss);
    this.bar = el("div", "progress");
    this.bar.setAttribute("role", "progressbar");
    this.bar.setAttribute("aria-valuemin", "0");
    this.bar.setAttribute("aria-valuemax", String(files.length));
    this.bar.setAttribute("aria-valuenow", "0");
    this.bar.setAttribute("aria-label", this.title.textContent);
    this.fill = el("span", "progress-fill");
    this.bar.append(this.fill);
    this.summary = el("p", "job-summary");
    this.files = el("ul", "job-files");
    this.el.append(head, this.bar, this.summary, this.files);
    this.renderFiles(files.map((f) => ({ name: f.name, size: f.size, status: "queued" })));
  }

  renderFiles(files) {
    // Polls repeat the same state; re-rendering it would make screen readers repeat it too.
    const signature = JSON.stringify(files.map((f) => [f.name, f.status, f.error, f.chunks_done]));
    if (signature === this.signature) return;
    this.signature = signature;
    this.files.replaceChildren(...files.map((f) => {
      const li = el("li", `job-file file-${f.status}`);
      li.dataset.name = f.name;
      let status = t(`file_${f.status}`);
      // A large file reports its chunks as they are embedded.
      if (f.status === "running" && f.chunks_total) {
        status += ` ${t("fileChunks", { done: f.chunks_done, total: f.chunks_total })}`;
      }
      li.append(el("span", "file-name", f.name), el("span", "file-status", status));
      if (f.error) li.append(el("span", "file-error", explainFileError(f.error)));
      return li;
    }));
  }

  update(job) {
    this.el.className = `job job-${job.status}`;
    this.el.dataset.status = job.status;
    const key = { queued: "jobQueued", running: "jobRunning", done: "jobDone", failed: "jobFailed" };
    const failed = job.files.filter((f) => f.status === "failed").length;
    this.el.classList.toggle("job-partial", job.status === "done" && failed > 0);
    const total = job.files_total || job.files.length || 1;
    this.bar.setAttribute("aria-valuemax", String(total));
    this.bar.setAttribute("aria-valuenow", String(job.files_done));
    this.bar.removeAttribute("aria-valuetext");
    const share = job.status === "done" ? 1 : job.files_done / total;
    // A running job with nothing finished yet still shows that work has started.
    this.fill.style.width = `${Math.max(share, job.status === "running" ? 0.06 : 0) * 100}%`;
    let summary = t("jobSummary", { done: job.files_done, total, chunks: job.chunks });
    if (job.error && job.status === "failed") summary += ` — ${job.error}`;
    // Unchanged text is not rewritten, so the live region does not repeat itself.
    setText(this.status, job.status === "done" && failed
      ? t("jobDoneFailed", { n: failed })
      : t(key[job.status] || "jobRunning"));
    setText(this.summary, summary);
    this.renderFiles(job.files);
  }

  /** Bytes sent so far, before the server has the files. */
  uploading(loaded, total) {
    const share = total ? loaded / total : 0;
    setText(this.status, t("jobUploading"));
    this.el.dataset.status = "uploading";
    this.bar.setAttribute("aria-valuemax", "100");
    this.bar.setAttribute("aria-valuenow", String(Math.round(share * 100)));
    const text = total
      ? t("uploadBytes", { done: formatSize(loaded), total: formatSize(total) })
      : formatSize(loaded);
    this.bar.setAttribute("aria-valuetext", text);
    this.fill.style.width = `${share * 100}%`;
    setText(this.summary, text);
  }

  fail(message) {
    this.el.className = "job job-failed";
    this.el.dataset.status = "failed";
    this.status.textContent = t("jobFailed");
    this.summary.textContent = message;
    this.summary.classList.add("file-error");
    for (const row of this.files.children) {
      row.className = "job-file file-failed";
      row.querySelector(".file-status").textContent = t("file_failed");
    }
  }
}

async function poll(card, jobId) {
  let delay = POLL_MS;
  while (!card.stopped) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      const job = await getJSON(`/v1/jobs/${encodeURIComponent(jobId)}`);
      delay = POLL_MS;
      card.update(job);
      if (job.files.some((f) => f.document_id != null)) refreshSoon();
      if (FINISHED.has(job.status)) {
        await refreshDocuments();
        return;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        card.fail(error.message);
        return;
      }
      delay = Math.min(delay * 2, 10_000); // the server is restarting or busy: back off
    }
  }
}

let refreshTimer = 0;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    refreshDocuments();
  }, 1500);
}

/** Uploads `files` as one job and follows its progress. */
export async function upload(files) {
  if (!files.length) return;
  const list = [...files];
  const card = new JobCard(list);
  $("jobs").prepend(card.el);
  const form = new FormData();
  for (const file of list) form.append("files", file, file.name);
  const collection = $("upload-collection").value.trim();
  if (collection) form.append("collection", collection);
  let sent;
  try {
    sent = await uploadForm("/v1/documents", form, (loaded, total) => card.uploading(loaded, total));
  } catch (error) {
    card.fail(uploadError(error));
    return;
  }
  card.el.dataset.jobId = sent.job_id;
  await poll(card, sent.job_id);
}

function hasFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes("Files");
}

export function initDocuments() {
  const input = $("file-input");
  $("pick-files").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    upload(input.files);
    input.value = "";
  });

  // Files can be dropped anywhere on the page; the overlay says so while dragging.
  const overlay = $("drop-overlay");
  const zone = $("dropzone");
  let depth = 0;
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", (event) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) {
      overlay.hidden = true;
      zone.classList.remove("over");
    }
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    zone.classList.remove("over");
    upload(event.dataTransfer.files);
  });

  onDocuments(renderList);
}
