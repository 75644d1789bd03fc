// The history of conversations: which one is current (only its id is kept in the browser; the
// server keeps the rest), the list with search by title, open, rename and delete.

import { ApiError, apiFetch, getJSON } from "./api.js";
import { confirmDelete } from "./dialogs.js";
import { ICONS, el, iconButton } from "./dom.js";
import { lang, t } from "./i18n.js";
import { toast } from "./toast.js";

const KEY = "kotae.conversation";
const ID = /^[0-9a-f]{32}$/;
const MAX_TURNS = 100; // the most a page of GET /v1/conversations/{id} holds
const $ = (id) => document.getElementById(id);
const hooks = { open: async () => {}, closed: () => {} };
let searchTimer = 0;

/** The current conversation's id, or null before the first question of a new chat. */
export function currentConversation() {
  const id = localStorage.getItem(KEY);
  return id && ID.test(id) ? id : null;
}

/** Makes `id` (or none) the conversation a reload comes back to. */
export function setCurrentConversation(id) {
  if (id) localStorage.setItem(KEY, id);
  else localStorage.removeItem(KEY);
  for (const row of $("conv-list").children) {
    const button = row.querySelector(".conv-open");
    if (row.dataset.id === id) button?.setAttribute("aria-current", "true");
    else button?.removeAttribute("aria-current");
  }
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString(lang, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** Reloads the list (filtered by the search box). */
export async function refreshConversations() {
  const q = $("conv-search").value.trim();
  const params = new URLSearchParams({ limit: "50" });
  if (q) params.set("q", q);
  try {
    const { conversations, total } = await getJSON(`/v1/conversations?${params}`);
    $("conv-list").replaceChildren(...conversations.map(row));
    $("conv-empty").hidden = conversations.length > 0;
    $("conv-empty").textContent = t(q ? "noChatsFound" : "noChats");
    $("conv-count").textContent = total ? String(total) : "";
    setCurrentConversation(currentConversation());
  } catch (error) {
    toast(`${t("loadChatsFailed")}: ${error.message}`, "error");
  }
}

function row(conversation) {
  const li = el("li", "conv");
  li.dataset.id = conversation.id;
  const title = conversation.title || t("untitled");
  const open = el("button", "conv-open");
  open.type = "button";
  open.append(el("span", "conv-title", title), el("span", "conv-meta",
    `${when(conversation.updated_at)} · ${t("turns", { n: conversation.turns })}`));
  open.addEventListener("click", () => openConversation(conversation.id));
  const rename = iconButton(ICONS.edit, t("renameChat", { title }));
  rename.addEventListener("click", () => startRename(li, conversation));
  const remove = iconButton(ICONS.trash, t("deleteChat", { title }), "icon-btn small danger");
  remove.addEventListener("click", () => deleteConversation(conversation, title));
  li.append(open, rename, remove);
  return li;
}

function startRename(li, conversation) {
  const input = el("input", "conv-rename");
  input.type = "text";
  input.maxLength = 200;
  input.value = conversation.title;
  input.setAttribute("aria-label", t("chatTitleLabel"));
  const open = li.querySelector(".conv-open");
  open.hidden = true;
  li.prepend(input);
  input.focus();
  input.select();
  let done = false;
  const finish = async (keep) => {
    if (done) return;
    done = true;
    const title = input.value.trim();
    if (keep && title && title !== conversation.title) {
      try {
        await apiFetch(`/v1/conversations/${conversation.id}`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ title }),
        });
      } catch (error) {
        toast(error.message, "error");
      }
    }
    await refreshConversations();
    $("conv-list").querySelector(`[data-id="${conversation.id}"] .conv-open`)?.focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter") {
      event.preventDefault();
      finish(true);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      finish(false);
    }
  });
  input.addEventListener("blur", () => finish(true));
}

async function deleteConversation(conversation, title) {
  if (!(await confirmDelete(t("deleteChatText", { title }), t("deleteChatTitle")))) return;
  try {
    await apiFetch(`/v1/conversations/${conversation.id}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      toast(error.message, "error");
      return;
    }
  }
  if (currentConversation() === conversation.id) hooks.closed();
  toast(t("chatDeleted", { title }));
  await refreshConversations();
  $("conv-search").focus();
}

let opening = 0; // the latest open wins when two overlap

/** Shows the conversation `id` in the chat (its last MAX_TURNS turns); a gone one is forgotten. */
export async function openConversation(id, { quiet = false } = {}) {
  const mine = ++opening;
  const url = `/v1/conversations/${encodeURIComponent(id)}`;
  try {
    let detail = await getJSON(`${url}?limit=${MAX_TURNS}`);
    const total = detail.conversation.turns;
    if (total > detail.turns.length) detail = await getJSON(`${url}?offset=${total - MAX_TURNS}&limit=${MAX_TURNS}`);
    if (mine !== opening) return;
    setCurrentConversation(id);
    await hooks.open({ ...detail, earlier: Math.max(0, total - detail.turns.length) });
  } catch (error) {
    const gone = error instanceof ApiError && error.status === 404;
    if (gone) {
      if (currentConversation() === id) setCurrentConversation(null);
      refreshConversations();
    }
    // Coming back to a chat deleted elsewhere just starts a new one.
    if (!(gone && quiet)) toast(`${t("loadChatFailed")}: ${error.message}`, "error");
  }
}

/**
 * Wires the list; `open(detail)` shows a conversation ({conversation, turns, earlier}: how many
 * older turns were left out), `closed()` empties the chat when the
 * current one is deleted. Reopens the conversation of the last visit.
 */
export function initConversations(open, closed) {
  hooks.open = open;
  hooks.closed = closed;
  $("conv-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refreshConversations, 250);
  });
  refreshConversations();
  const id = currentConversation();
  if (id) openConversation(id, { quiet: true });
}
