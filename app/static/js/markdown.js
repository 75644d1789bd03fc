// A small Markdown renderer that builds DOM nodes: untrusted text only ever reaches the page as
// text nodes (never innerHTML). Paragraphs, headings, lists, quotes, code, emphasis, links,
// tables and the answer's [n] citation markers.

import { startsTable, table } from "./markdown_table.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const ITEM = /^(\s*)([-*+•]|\d{1,9}[.)])\s+(.*)$/;
const CITE = /^\[(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\]/;
const BARE_URL = /^https?:\/\/[^\s<>"'）」』】]+/;

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/**
 * The URL to put in href, or null. Answer text comes from documents, so a link may only leave
 * for another site over http(s): never a path of this app (its API, its originals) nor any
 * other scheme.
 */
export function safeUrl(url) {
  const trimmed = String(url).trim();
  if (!/^https?:\/\//i.test(trimmed)) return null;
  let parsed;
  try {
    parsed = new URL(trimmed);
  } catch {
    return null;
  }
  return parsed.origin === window.location.origin ? null : trimmed;
}

function link(href, children) {
  const a = el("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.append(...children);
  return a;
}

/** Finds `close` after `from` with non-space just inside both ends; -1 when there is none. */
function closing(text, close, from) {
  if (/\s/.test(text[from] || " ")) return -1;
  let at = text.indexOf(close, from + 1);
  while (at > 0) {
    if (!/\s/.test(text[at - 1]) && text.slice(from, at).length > 0) return at;
    at = text.indexOf(close, at + 1);
  }
  return -1;
}

/** Renders one inline span of Markdown into `parent`. */
function inline(text, parent, opts) {
  let plain = "";
  const flush = () => {
    if (plain) parent.append(document.createTextNode(plain));
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const rest = text.slice(i);
    if (ch === "\\" && i + 1 < text.length && /[\\`*_[\]()#+\-.!~>|{}]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === "\n") {
      flush();
      parent.append(el("br"));
      i += 1;
      continue;
    }
    if (ch === "`") {
      const ticks = rest.match(/^`+/)[0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        flush();
        const code = el("code");
        code.textContent = text.slice(i + ticks.length, end).replace(/^ (.+) $/, "$1");
        parent.append(code);
        i = end + ticks.length;
        continue;
      }
    }
    if (ch === "[") {
      const cite = rest.match(CITE);
      if (cite && opts.citation && !rest.slice(cite[0].length).startsWith("(")) {
        const numbers = cite[1].split(/[,，、]/).map((s) => Number.parseInt(s.trim(), 10));
        const chips = numbers.map((n) => opts.citation(n));
        if (chips.every(Boolean)) {
          flush();
          for (const chip of chips) parent.append(chip);
          i += cite[0].length;
          continue;
        }
      }
      const label = rest.match(/^\[([^\]\n]+)\]\(([^)\s]+)\)/);
      if (label) {
        const href = safeUrl(label[2]);
        flush();
        const inner = document.createDocumentFragment();
        inline(label[1], inner, { ...opts, citation: null });
        parent.append(href ? link(href, [inner]) : inner);
        i += label[0].length;
        continue;
      }
    }
    if (ch === "<") {
      const auto = rest.match(/^<(https?:\/\/[^\s>]+)>/);
      if (auto) {
        flush();
        const href = safeUrl(auto[1]);
        parent.append(href ? link(href, [auto[1]]) : auto[1]);
        i += auto[0].length;
        continue;
      }
    }
    if (ch === "h" && /^https?:\/\//.test(rest) && !/[\w/]$/.test(plain)) {
      let url = rest.match(BARE_URL)[0];
      url = url.replace(/[.,;:!?。、）)]+$/, "");
      flush();
      const href = safeUrl(url);
      parent.append(href ? link(href, [url]) : url);
      i += url.length;
      continue;
    }
    if (ch === "*" || ch === "_" || ch === "~") {
      const double = rest.startsWith(ch + ch);
      // Intraword underscores (snake_case) stay literal.
      const wordBefore = ch === "_" && /[\p{L}\p{N}]$/u.test(plain);
      if (double) {
        const end = wordBefore ? -1 : closing(text, ch + ch, i + 2);
        if (end > 0) {
          flush();
          const node = el(ch === "~" ? "del" : "strong");
          inline(text.slice(i + 2, end), node, opts);
          parent.append(node);
          i = end + 2;
          continue;
        }
      } else if (ch !== "~" && !wordBefore) {
        let end = closing(text, ch, i + 1);
        while (end > 0 && text[end + 1] === ch) end = closing(text, ch, end + 2);
        if (end > 0) {
          flush();
          const node = el("em");
          inline(text.slice(i + 1, end), node, opts);
          parent.append(node);
          i = end + 1;
          continue;
        }
      }
    }
    plain += ch;
    i += 1;
  }
  flush();
}

function indentOf(line) {
  return line.match(/^\s*/)[0].replace(/\t/g, "    ").length;
}

/** Parses a list starting at lines[start]; returns [node, next line index]. */
function list(lines, start, opts) {
  const first = lines[start].match(ITEM);
  const base = indentOf(lines[start]);
  const ordered = /\d/.test(first[2]);
  const node = el(ordered ? "ol" : "ul");
  if (ordered && Number.parseInt(first[2], 10) !== 1) node.start = Number.parseInt(first[2], 10);
  let i = start;
  while (i < lines.length) {
    const m = lines[i].match(ITEM);
    if (!m || indentOf(lines[i]) !== base || /\d/.test(m[2]) !== ordered) break;
    const item = el("li");
    const body = [m[3]];
    i += 1;
    const children = [];
    while (i < lines.length) {
      const line = lines[i];
      if (line.trim() === "") {
        const next = lines[i + 1];
        if (next !== undefined && indentOf(next) > base && next.trim() !== "") {
          i += 1;
          continue;
        }
        break;
      }
      const sub = line.match(ITEM);
      if (sub && indentOf(line) > base) {
        const [nested, after] = list(lines, i, opts);
        children.push(nested);
        i = after;
        continue;
      }
      if (sub || indentOf(line) <= base && startsBlock(line)) break;
      body.push(line.trim());
      i += 1;
    }
    inline(body.join("\n"), item, opts);
    item.append(...children);
    node.append(item);
  }
  return [node, i];
}

/**
 * A list starts at lines[i]: a bullet, or a number that is 1 or followed by the next number.
 * A lone "19." is a slide or section number in extracted text, not a list.
 */
function startsList(lines, i) {
  const m = lines[i].match(ITEM);
  if (!m || !/\d/.test(m[2])) return Boolean(m);
  const n = Number.parseInt(m[2], 10);
  const next = lines[i + 1]?.match(ITEM);
  return n <= 1 || Boolean(next && Number.parseInt(next[2], 10) === n + 1);
}

/** Where a paragraph stops: any other block starting at lines[i]. */
function startsAt(lines, i) {
  const line = lines[i];
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    startsList(lines, i) || startsTable(lines, i);
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    ITEM.test(line);
}

function blocks(lines, parent, opts) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i += 1;
      const pre = el("pre");
      const code = el("code");
      if (fence[2]) code.dataset.lang = fence[2];
      code.textContent = body.join("\n");
      pre.append(code);
      parent.append(pre);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      // Answer headings sit inside a message: start at h3 so the page outline stays sane.
      const h = el(`h${Math.min(heading[1].length + 2, 6)}`);
      inline(heading[2], h, opts);
      parent.append(h);
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      parent.append(el("hr"));
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && QUOTE.test(lines[i])) body.push(lines[i++].match(QUOTE)[1]);
      const quote = el("blockquote");
      blocks(body, quote, opts);
      parent.append(quote);
      continue;
    }
    if (startsTable(lines, i)) {
      const [node, next] = table(lines, i, (text, cell) => inline(text, cell, opts));
      parent.append(node);
      i = next;
      continue;
    }
    if (startsList(lines, i)) {
      const [node, next] = list(lines, i, opts);
      parent.append(node);
      i = next;
      continue;
    }
    const body = [line];
    i += 1;
    while (i < lines.length && lines[i].trim() !== "" && !startsAt(lines, i)) body.push(lines[i++]);
    const p = el("p");
    inline(body.join("\n").trim(), p, opts);
    parent.append(p);
  }
}

/**
 * Renders Markdown `text` into a DocumentFragment.
 * `opts.citation(n)` returns a node for the marker [n], or null to keep it as text.
 */
export function renderMarkdown(text, opts = {}) {
  const fragment = document.createDocumentFragment();
  blocks(String(text ?? "").replace(/\r\n?/g, "\n").split("\n"), fragment, opts);
  return fragment;
}
