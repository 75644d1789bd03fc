// The conversation: sends questions (with history), streams answers, renders citations.

import { ApiError, postJSON, readEvents } from "./api.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { closeSource, showSource } from "./sources.js";
import { store } from "./store.js";

const MARKERS = /\s?\[\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\]/g;
const MAX_TURNS = 20;
const MAX_TURN_CHARS = 4000;

const history = []; // {role, content}, oldest first, as POST /v1/ask takes it
let active = null; // {controller} while an answer streams

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function svg(path) {
  const ns = "http://www.w3.org/2000/svg";
  const node = document.createElementNS(ns, "svg");
  node.setAttribute("viewBox", "0 0 24 24");
  node.setAttribute("aria-hidden", "true");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  node.append(p);
  return node;
}

const ICONS = {
  copy: "M8 8h11v12H8zM5 16V4h11",
  check: "M5 12l5 5 9-10",
  warn: "M12 3l10 18H2zM12 10v5M12 18v.5",
  info: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 11v6M12 7.5v.5",
  retry: "M4 12a8 8 0 1 0 3-6.2M4 4v5h5",
  doc: "M6 3h8l4 4v14H6zM14 3v4h4",
};

function scroller() {
  return $("messages");
}

function nearBottom() {
  const box = scroller();
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

function scrollToBottom(force) {
  const box = scroller();
  if (force || nearBottom()) box.scrollTop = box.scrollHeight;
}

function hasJapanese(text) {
  return /[\u3040-\u30ff\u4e00-\u9fff]/.test(text);
}

function userMessage(text) {
  const article = el("article", "msg msg-user");
  article.setAttribute("aria-label", t("you"));
  const bubble = el("div", "bubble", text);
  if (hasJapanese(text)) bubble.lang = "ja";
  article.append(bubble);
  return article;
}

/** One entry for the source panel from a citation of the answer JSON. */
function citationEntry(c) {
  return {
    label: t("source", { n: c.n }),
    title: c.title,
    context: c.context,
    source: c.source,
    page: c.page,
    text: c.text,
    highlightStart: c.highlight_start,
    highlightEnd: c.highlight_end,
    documentId: c.document_id,
    supported: c.supported,
  };
}

function passageEntry(p) {
  return {
    label: t("passage", { n: p.n }),
    title: p.title,
    context: p.context,
    source: p.source,
    page: p.page,
    text: p.text,
    documentId: p.document_id,
    score: p.score,
  };
}

function chipButton(n, entry, ariaLabel, unverified) {
  const chip = el("button", `chip${unverified ? " chip-unverified" : ""}`, String(n));
  chip.type = "button";
  chip.setAttribute("aria-label", ariaLabel);
  chip.setAttribute("aria-controls", "source-panel");
  chip.setAttribute("aria-expanded", "false");
  chip.title = ariaLabel;
  chip.addEventListener("click", () => showSource(entry, chip));
  return chip;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP origins have no Clipboard API: fall back to a selected textarea.
  const area = el("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy failed");
}

/** The assistant's message: a streaming view first, then the final answer (or an error). */
class AnswerView {
  constructor() {
    this.el = el("article", "msg msg-assistant streaming");
    this.el.setAttribute("aria-label", t("answer"));
    this.el.setAttribute("aria-busy", "true");
    const avatar = el("div", "avatar", "答");
    avatar.setAttribute("aria-hidden", "true");
    const main = el("div", "msg-main");
    const head = el("div", "msg-head");
    head.append(el("span", "msg-who", t("assistant")));
    this.badges = el("span", "badges");
    head.append(this.badges);
    this.content = el("div", "msg-content md");
    const thinking = el("p", "thinking");
    thinking.append(el("span", "dots"), t("thinking"));
    this.content.append(thinking);
    this.extra = el("div", "msg-extra");
    this.actions = el("div", "msg-actions");
    main.append(head, this.content, this.extra, this.actions);
    this.el.append(avatar, main);
    this.text = "";
    this.frame = 0;
  }

  /** Appends streamed text; renders at most once per frame. */
  append(piece) {
    this.text += piece;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const stick = nearBottom();
      this.content.replaceChildren(
        renderMarkdown(this.text, { citation: (n) => el("span", "chip chip-pending", String(n)) }),
      );
      if (stick) scrollToBottom(true);
    });
  }

  done() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el.classList.remove("streaming");
    this.el.removeAttribute("aria-busy");
  }

  /** Renders the authoritative answer JSON of the final event. */
  final(answer) {
    this.done();
    this.answer = answer;
    const citations = new Map((answer.citations || []).map((c) => [c.n, c]));
    const passages = new Map((answer.passages || []).map((p) => [p.n, p]));
    if (answer.language) this.content.lang = answer.language;

    if (answer.mode === "extractive") {
      const label = el("span", "badge badge-mode", t("extractive"));
      label.title = t("extractiveTitle");
      this.badges.append(label);
    }

    const chip = (n) => {
      const c = citations.get(n);
      if (c) {
        const key = c.supported === false ? "citationUnverified" : "citation";
        return chipButton(n, citationEntry(c), t(key, { n, title: c.title, page: c.page }),
          c.supported === false);
      }
      const p = passages.get(n);
      if (p) return chipButton(n, passageEntry(p), t("citation", { n, title: p.title, page: p.page }));
      return null;
    };

    if (answer.abstained) {
      this.el.classList.add("abstained");
      const head = el("p", "abstain-head");
      head.append(svg(ICONS.info), el("strong", null, t("abstainedTitle")));
      const body = renderMarkdown(answer.answer || t("abstainedText"), { citation: null });
      this.content.replaceChildren(head, body);
    } else {
      this.content.replaceChildren(renderMarkdown(answer.answer, { citation: chip }));
    }

    const warnings = [...(answer.warnings || [])];
    if (warnings.length) {
      const list = el("ul", "warnings");
      for (const w of warnings) {
        const li = el("li");
        li.append(svg(ICONS.warn), el("span", null, w));
        list.append(li);
      }
      this.extra.append(list);
    }
    const unsupported = answer.abstained ? [] : answer.unsupported_sentences || [];
    if (unsupported.length) {
      const box = el("div", "unsupported");
      box.append(el("p", null, t("unsupported")));
      const list = el("ul");
      for (const s of unsupported) list.append(el("li", null, s));
      box.append(list);
      this.extra.append(box);
    }

    if (answer.abstained) {
      if (passages.size) this.extra.append(this.passageList([...passages.values()]));
    } else if (citations.size) {
      this.extra.append(this.sourceList([...citations.values()].sort((a, b) => a.n - b.n)));
    }
    this.addCopy();
  }

  sourceList(citations) {
    const box = el("div", "source-list");
    box.append(el("p", "list-title", t("sources")));
    const list = el("ol");
    for (const c of citations) {
      const li = el("li");
      const button = el("button", `source-card${c.supported === false ? " unverified" : ""}`);
      button.type = "button";
      button.setAttribute("aria-controls", "source-panel");
      button.setAttribute("aria-expanded", "false");
      const num = el("span", "source-num", String(c.n));
      num.setAttribute("aria-hidden", "true");
      const title = el("span", "source-name", c.context || c.title || c.source);
      const page = el("span", "source-page", t("pageShort", { page: c.page }));
      button.setAttribute("aria-label", t(c.supported === false ? "citationUnverified" : "citation",
        { n: c.n, title: c.title, page: c.page }));
      button.append(num, title, page);
      button.addEventListener("click", () => showSource(citationEntry(c), button));
      li.append(button);
      list.append(li);
    }
    box.append(list);
    return box;
  }

  passageList(passages) {
    const box = el("div", "source-list closest");
    box.append(el("p", "list-title", t("closestPassages")));
    const list = el("ol");
    for (const p of passages) {
      const li = el("li");
      const button = el("button", "passage-card");
      button.type = "button";
      button.setAttribute("aria-controls", "source-panel");
      button.setAttribute("aria-expanded", "false");
      const head = el("span", "passage-head");
      head.append(svg(ICONS.doc), el("span", "source-name", p.context || p.title || p.source),
        el("span", "source-page", t("pageShort", { page: p.page })));
      const snippet = el("span", "passage-snippet", p.text.slice(0, 140) + (p.text.length > 140 ? "…" : ""));
      button.append(head, snippet);
      button.addEventListener("click", () => showSource(passageEntry(p), button));
      li.append(button);
      list.append(li);
    }
    box.append(list);
    return box;
  }

  addCopy() {
    const button = el("button", "icon-btn small");
    button.type = "button";
    button.setAttribute("aria-label", t("copy"));
    button.title = t("copy");
    button.append(svg(ICONS.copy));
    const status = el("span", "copy-status");
    status.setAttribute("role", "status");
    button.addEventListener("click", async () => {
      const a = this.answer;
      let text = a ? a.answer : this.text;
      if (a && a.citations && a.citations.length) {
        text += `\n\n${t("sources")}:\n`;
        text += a.citations.map((c) => `[${c.n}] ${c.title}, ${t("page", { page: c.page })}`).join("\n");
      }
      try {
        await copyText(text);
        status.textContent = t("copied");
        button.replaceChildren(svg(ICONS.check));
      } catch {
        status.textContent = t("copyFailed");
      }
      setTimeout(() => {
        status.textContent = "";
        button.replaceChildren(svg(ICONS.copy));
      }, 1800);
    });
    this.actions.append(button, status);
  }

  error(message, retry) {
    this.done();
    this.el.classList.add("failed");
    if (!this.text) this.content.replaceChildren();
    const box = el("div", "error-box");
    box.setAttribute("role", "alert");
    const head = el("p", "error-head");
    head.append(svg(ICONS.warn), el("strong", null, t("errorTitle")));
    box.append(head, el("p", null, message));
    if (retry) {
      const again = el("button", "btn btn-ghost btn-small");
      again.type = "button";
      again.append(svg(ICONS.retry), t("retry"));
      again.addEventListener("click", () => {
        this.el.remove();
        retry();
      });
      box.append(again);
    }
    this.extra.append(box);
  }

  stopped() {
    this.done();
    if (!this.text) this.content.replaceChildren();
    this.extra.append(el("p", "note", t("stopped")));
  }
}

function setBusy(busy) {
  const form = $("composer");
  form.classList.toggle("busy", busy);
  $("send").setAttribute("aria-label", t(busy ? "stop" : "send"));
}

/** Asks `question` with the conversation so far and streams the answer into the log. */
export async function ask(question, turns = history.slice(-MAX_TURNS)) {
  $("welcome").hidden = true;
  const log = scroller();
  const asked = userMessage(question);
  log.append(asked);
  const view = new AnswerView();
  log.append(view.el);
  scrollToBottom(true);

  const controller = new AbortController();
  active = { controller };
  setBusy(true);
  const body = { question, history: turns, stream: true };
  if (store.collection) body.collection = store.collection;
  const retry = () => {
    asked.remove();
    ask(question, turns);
  };
  let finished = false;
  try {
    const response = await postJSON("/v1/ask", body, {
      signal: controller.signal,
      headers: { Accept: "text/event-stream" },
    });
    for await (const { event, data } of readEvents(response)) {
      let payload;
      try {
        payload = JSON.parse(data);
      } catch {
        continue;
      }
      if (event === "token") view.append(payload.text || "");
      else if (event === "final") {
        view.final(payload);
        finished = true;
        history.push(
          { role: "user", content: question.slice(0, MAX_TURN_CHARS) },
          { role: "assistant", content: payload.answer.replace(MARKERS, "").slice(0, MAX_TURN_CHARS) },
        );
      } else if (event === "error") {
        view.error(payload.error?.message || t("networkError"), retry);
        finished = true;
      }
    }
    if (!finished) view.error(t("networkError"), retry);
  } catch (error) {
    if (error.name === "AbortError") view.stopped();
    else if (error instanceof ApiError) view.error(error.message, error.status === 401 ? null : retry);
    else view.error(t("networkError"), retry);
  } finally {
    if (active && active.controller === controller) active = null;
    setBusy(false);
    scrollToBottom(false);
  }
}

/** Starts over: stops a streaming answer, forgets the history, empties the log. */
export function newChat() {
  if (active) active.controller.abort();
  history.length = 0;
  closeSource();
  const log = scroller();
  for (const node of [...log.children]) if (node.id !== "welcome") node.remove();
  $("welcome").hidden = false;
  $("question").focus();
}

function autosize(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight, 200)}px`;
}

export function initChat() {
  const form = $("composer");
  const area = $("question");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (active) {
      active.controller.abort();
      return;
    }
    const question = area.value.trim();
    if (!question) {
      area.focus();
      return;
    }
    area.value = "";
    autosize(area);
    ask(question);
  });
  area.addEventListener("keydown", (event) => {
    // Enter while an IME composes Japanese confirms the conversion; it must not send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (!active) form.requestSubmit();
  });
  area.addEventListener("input", () => autosize(area));
  $("new-chat").addEventListener("click", newChat);
}
