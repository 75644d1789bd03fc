// One assistant message: the streaming view, then the final answer with its citations, per
// sentence verification marks, code copy buttons, or an error.

import { ICONS, copyText, el, iconButton, svg } from "./dom.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { showSource } from "./sources.js";
import { attachPreview } from "./preview.js";
import { markerVerdicts, numberByFirstUse, renumber, unverifiedList } from "./verification.js";

/** The chat log, and whether it is scrolled to (near) its end. */
export const scroller = () => document.getElementById("messages");

/**
 * Scrolls the log to its end at once: a smooth scroll (the CSS default) would still be moving
 * when the next check of nearBottom() runs, which then reads "scrolled up" and stops following.
 */
export function scrollToEnd() {
  const box = scroller();
  box.scrollTo({ top: box.scrollHeight, behavior: "instant" });
}

export function nearBottom() {
  const box = scroller();
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

/** The cited span of a citation (what a preview shows), else its whole text. */
function citedText(c) {
  const text = c.text || "";
  return c.highlight_end > c.highlight_start ? text.slice(c.highlight_start, c.highlight_end) : text;
}

/** The one entry for the source panel from a citation (`c.n`) or a passage of an answer. */
function entry(c, kind, gone) {
  return {
    label: t(kind, { n: c.n }),
    title: c.title,
    context: c.context,
    source: c.source,
    page: c.page,
    text: c.text,
    highlightStart: c.highlight_start,
    highlightEnd: c.highlight_end,
    documentId: c.document_id,
    supported: c.supported,
    score: kind === "passage" ? c.score : undefined,
    gone: gone.has(c.chunk_id),
  };
}

function sourceButton(className, item, ariaLabel) {
  const button = el("button", className);
  button.type = "button";
  button.setAttribute("aria-controls", "source-panel");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-label", ariaLabel);
  button.addEventListener("click", () => showSource(item, button));
  return button;
}

function copyCodeButton(pre) {
  const button = iconButton(ICONS.copy, t("copyCode"), "icon-btn small code-copy");
  button.addEventListener("click", async () => {
    try {
      await copyText(pre.querySelector("code").textContent);
      button.replaceChildren(svg(ICONS.check));
      button.setAttribute("aria-label", t("copied"));
    } catch {
      button.setAttribute("aria-label", t("copyFailed"));
    }
    setTimeout(() => {
      button.replaceChildren(svg(ICONS.copy));
      button.setAttribute("aria-label", t("copyCode"));
    }, 1800);
  });
  return button;
}

/** Puts a copy button on every code block under `root`. */
function addCodeCopy(root) {
  for (const pre of root.querySelectorAll("pre")) {
    const wrap = el("div", "code-block");
    pre.replaceWith(wrap);
    wrap.append(copyCodeButton(pre), pre);
  }
}

export class AnswerView {
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

  /** Appends streamed text; renders at most once per frame, keeping the end in view. */
  append(piece) {
    this.text += piece;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const stick = nearBottom();
      const order = numberByFirstUse(this.text);
      const pending = (n) => el("span", "chip chip-pending", String(order.get(n) ?? n));
      this.content.replaceChildren(renderMarkdown(this.text, { citation: pending }));
      if (stick) scrollToEnd();
    });
  }

  done() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el.classList.remove("streaming");
    this.el.removeAttribute("aria-busy");
  }

  /** Renders an answer as /v1/ask returns it; `gone` holds chunk ids whose document is gone. */
  final(answer, gone = new Set()) {
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
    // Chips are numbered 1..k in order of first use, whatever the passages' ranks were.
    const order = numberByFirstUse(answer.answer);
    for (const n of [...citations.keys()].sort((a, b) => a - b)) if (!order.has(n)) order.set(n, order.size + 1);
    this.number = (n) => order.get(n) ?? n;
    // A chip is "not verified" only where the sentence it closes is: per sentence, not per source.
    const verdicts = markerVerdicts(answer.answer, answer.unsupported_sentences);
    const flagged = new Set([...verdicts].filter(([, v]) => v.some(Boolean)).map(([n]) => n));
    const chip = (n) => {
      const c = citations.get(n);
      const p = passages.get(n);
      if (!c && !p) return null;
      const shown = this.number(n);
      const unverified = Boolean(c && verdicts.get(n)?.shift());
      const key = unverified ? "citationUnverified" : "citation";
      const item = c
        ? entry({ ...c, n: shown, supported: !unverified }, "source", gone)
        : entry({ ...p, n: shown }, "passage", gone);
      const button = sourceButton(`chip${unverified ? " chip-unverified" : ""}`, item,
        t(key, { n: shown, title: item.title, page: item.page }));
      button.textContent = String(shown);
      attachPreview(button, citedText(c || p));
      return button;
    };
    if (answer.abstained) {
      this.el.classList.add("abstained");
      const head = el("p", "abstain-head");
      head.append(svg(ICONS.info), el("strong", null, t("abstainedTitle")));
      this.content.replaceChildren(head, renderMarkdown(answer.answer || t("abstainedText"), { citation: null }));
    } else {
      this.content.replaceChildren(renderMarkdown(answer.answer, { citation: chip }));
    }
    addCodeCopy(this.content);
    this.extra.replaceChildren();
    if ((answer.warnings || []).length) {
      const list = el("ul", "warnings");
      for (const w of answer.warnings) {
        const li = el("li");
        li.append(svg(ICONS.warn), el("span", null, w));
        list.append(li);
      }
      this.extra.append(list);
    }
    const unsupported = answer.abstained ? [] : unverifiedList(answer.unsupported_sentences);
    if (unsupported.length) {
      const box = el("div", "unsupported");
      box.append(el("p", null, t("unsupported")));
      const list = el("ul");
      for (const s of unsupported) list.append(el("li", null, s));
      box.append(list);
      this.extra.append(box);
    }
    if (answer.abstained) {
      if (passages.size) this.extra.append(this.passageList([...passages.values()], gone));
    } else if (citations.size) {
      // A source is "not verified" in the list when some sentence citing it is.
      const numbered = [...citations.values()]
        .map((c) => ({ ...c, n: this.number(c.n), supported: !flagged.has(c.n) }));
      this.extra.append(this.sourceList(numbered.sort((a, b) => a.n - b.n), gone));
    }
    this.actions.replaceChildren();
    this.addCopy();
  }

  sourceList(citations, gone) {
    const box = el("div", "source-list");
    box.append(el("p", "list-title", t("sources")));
    const list = el("ol");
    for (const c of citations) {
      const item = entry(c, "source", gone);
      const state = item.gone ? " gone" : c.supported ? "" : " unverified";
      const key = item.gone ? "citationGone" : c.supported ? "citation" : "citationUnverified";
      const button = sourceButton(`source-card${state}`, item, t(key, { n: c.n, title: c.title, page: c.page }));
      const num = el("span", "source-num", String(c.n));
      num.setAttribute("aria-hidden", "true");
      button.append(num, el("span", "source-name", c.context || c.title || c.source),
        el("span", "source-page", item.gone ? t("sourceGoneShort") : t("pageShort", { page: c.page })));
      const li = el("li");
      li.append(button);
      list.append(li);
    }
    box.append(list);
    return box;
  }

  passageList(passages, gone) {
    const box = el("div", "source-list closest");
    box.append(el("p", "list-title", t("closestPassages")));
    const list = el("ol");
    for (const p of passages) {
      const item = entry(p, "passage", gone);
      const button = sourceButton("passage-card", item,
        t("citation", { n: p.n, title: p.title, page: p.page }));
      const head = el("span", "passage-head");
      head.append(svg(ICONS.doc), el("span", "source-name", p.context || p.title || p.source),
        el("span", "source-page", t("pageShort", { page: p.page })));
      const snippet = el("span", "passage-snippet", p.text.slice(0, 140) + (p.text.length > 140 ? "…" : ""));
      button.append(head, snippet);
      const li = el("li");
      li.append(button);
      list.append(li);
    }
    box.append(list);
    return box;
  }

  addCopy() {
    const button = iconButton(ICONS.copy, t("copy"));
    const status = el("span", "copy-status");
    status.setAttribute("role", "status");
    button.addEventListener("click", async () => {
      const a = this.answer;
      const number = this.number || ((n) => n);
      let text = a ? renumber(a.answer, number) : this.text;
      if (a && a.citations && a.citations.length) {
        text += `\n\n${t("sources")}:\n`;
        text += a.citations.map((c) => ({ ...c, n: number(c.n) })).sort((x, y) => x.n - y.n)
          .map((c) => `[${c.n}] ${c.title}, ${t("page", { page: c.page })}`).join("\n");
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
