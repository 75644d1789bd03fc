// Entry point: translates the page, wires the panels, loads the documents.

import { initChat } from "./chat.js";
import { initDialogs } from "./dialogs.js";
import { initDocuments, refreshDocuments } from "./documents.js";
import { t, translatePage } from "./i18n.js";
import { closeSource, initSources, sourceOpen } from "./sources.js";
import { collections, onDocuments, store } from "./store.js";

const $ = (id) => document.getElementById(id);
const wide = window.matchMedia("(min-width: 1100px)");

function setDocsOpen(open, focus = false) {
  document.body.dataset.docs = open ? "open" : "closed";
  $("docs-toggle").setAttribute("aria-expanded", String(open));
  // As a drawer over the chat, the panel keeps Tab inside itself and the top bar.
  const covering = open && !wide.matches;
  $("chat").inert = covering;
  $("source-panel").inert = covering;
  syncBackdrop();
  if (open && focus) $("pick-files").focus();
}

function docsOpen() {
  return document.body.dataset.docs === "open";
}

// The backdrop only exists where a panel covers the chat (narrow screens).
function syncBackdrop() {
  const narrowDocs = docsOpen() && !wide.matches;
  const sheet = sourceOpen() && window.matchMedia("(max-width: 760px)").matches;
  $("backdrop").hidden = !(narrowDocs || sheet);
}

function renderCollections() {
  const select = $("collection");
  const names = collections();
  const current = store.collection;
  const all = document.createElement("option");
  all.value = "";
  all.textContent = t("allCollections");
  select.replaceChildren(all, ...names.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    return option;
  }));
  // A collection whose last document was deleted falls back to "all".
  select.value = names.includes(current) ? current : "";
  store.collection = select.value;
  $("collection-names").replaceChildren(...names.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    return option;
  }));
}

function init() {
  translatePage();
  initDialogs();
  initSources();
  initChat();
  initDocuments();
  onDocuments(renderCollections);
  onDocuments((docs) => {
    $("welcome").querySelector("p").textContent = t(docs.size ? "welcomeText" : "welcomeNoDocs");
    $("welcome-upload").hidden = docs.size > 0;
  });
  $("welcome-upload").addEventListener("click", () => {
    if (!docsOpen()) setDocsOpen(true);
    $("pick-files").focus();
  });

  $("collection").addEventListener("change", (event) => {
    store.collection = event.target.value;
    if (store.collection) $("upload-collection").value = store.collection;
  });
  $("docs-toggle").addEventListener("click", () => setDocsOpen(!docsOpen(), !docsOpen()));
  $("docs-close").addEventListener("click", () => {
    setDocsOpen(false);
    $("docs-toggle").focus();
  });
  $("backdrop").addEventListener("click", () => {
    if (sourceOpen()) closeSource();
    if (!wide.matches) setDocsOpen(false);
    syncBackdrop();
  });
  wide.addEventListener("change", () => setDocsOpen(wide.matches));
  new MutationObserver(syncBackdrop).observe($("source-panel"), { attributes: true });

  // Esc closes the innermost panel; open <dialog>s handle Esc themselves.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || document.querySelector("dialog[open]")) return;
    if (sourceOpen()) {
      event.preventDefault();
      closeSource();
    } else if (docsOpen() && !wide.matches) {
      event.preventDefault();
      setDocsOpen(false);
      $("docs-toggle").focus();
    }
  });

  setDocsOpen(wide.matches);
  refreshDocuments();
  $("question").focus();
}

init();
