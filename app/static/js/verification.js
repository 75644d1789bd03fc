// Verification per sentence: which [n] markers sit in a sentence the server could not verify,
// and the unverified sentences as clean text for the "not verified" list.

const MARKER = /\[(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\]/g;
const TRAILING_MARKERS = /^(?:\s*\[\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\])*/;
const FENCED = /(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:\n\s*\1[^\n]*|$)/g;
const FENCE_LINE = /^\s*(`{3,}|~{3,})/;
const HEADING = /^\s{0,3}#{1,6}\s/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/**
 * The prose of an unverified sentence, or "" when it is only structure: headings, table rows,
 * code and fences are not claims a passage could support.
 */
export function cleanSentence(sentence) {
  const lines = String(sentence).replace(FENCED, "\n").split("\n");
  const prose = lines.filter((line) => line.trim() && !HEADING.test(line) &&
    !TABLE_ROW.test(line) && !FENCE_LINE.test(line) && !RULE.test(line));
  return prose.join(" ")
    .replace(MARKER, "")
    .replace(/^\s*(?:>\s*)+/, "")
    .replace(/^\s*(?:[-*+•]|\d{1,9}[.)])\s+/, "")
    .replace(/(\*\*|__|~~|`)/g, "")
    .replace(/(^|\s)[*_](\S)/g, "$1$2")
    .replace(/(\S)[*_](?=\s|$|[。、.,!?])/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

/** The unverified sentences worth listing, cleaned, without repeats. */
export function unverifiedList(sentences) {
  return [...new Set((sentences || []).map(cleanSentence).filter(Boolean))];
}

const IGNORED = /[\s*_~`|]/;

/**
 * `text` without markers, whitespace, emphasis and table characters (the server's sentence
 * text has no markers, tidied spaces, and a cited table row as its cells; a replayed one may
 * lack the Markdown), with each kept character's index in `text`.
 */
function normalized(text) {
  const chars = [];
  const at = [];
  const marker = new RegExp(MARKER.source, "y");
  let i = 0;
  while (i < text.length) {
    marker.lastIndex = i;
    const m = marker.exec(text);
    if (m) {
      i += m[0].length;
      continue;
    }
    if (!IGNORED.test(text[i])) {
      chars.push(text[i]);
      at.push(i);
    }
    i += 1;
  }
  return { text: chars.join(""), at };
}

/**
 * For each citation number, the verdicts of its markers in the answer, in order:
 * true where the marker belongs to an unverified sentence (inside it, or right after its full
 * stop). Structure-only sentences (headings, table rows, code) are never unverified.
 */
export function markerVerdicts(answer, sentences) {
  const text = String(answer || "");
  const flat = normalized(text);
  const ranges = [];
  let from = 0;
  for (const sentence of sentences || []) {
    if (!cleanSentence(sentence)) continue;
    const body = normalized(String(sentence)).text;
    if (!body) continue;
    let at = flat.text.indexOf(body, from);
    if (at < 0) at = flat.text.indexOf(body);
    if (at < 0) continue;
    const start = flat.at[at];
    const end = flat.at[at + body.length - 1] + 1;
    ranges.push([start, end + text.slice(end).match(TRAILING_MARKERS)[0].length]);
    from = at + body.length;
  }
  const verdicts = new Map();
  for (const match of text.matchAll(MARKER)) {
    const unverified = ranges.some(([s, e]) => match.index >= s && match.index < e);
    for (const part of match[1].split(/[,，、]/)) {
      const n = Number.parseInt(part.trim(), 10);
      if (!verdicts.has(n)) verdicts.set(n, []);
      verdicts.get(n).push(unverified);
    }
  }
  return verdicts;
}

/** Display numbers 1..k for the passage numbers of `answer`'s markers, in order of first use. */
export function numberByFirstUse(answer) {
  const order = new Map();
  for (const match of String(answer || "").matchAll(MARKER)) {
    for (const part of match[1].split(/[,，、]/)) {
      const n = Number.parseInt(part.trim(), 10);
      if (!order.has(n)) order.set(n, order.size + 1);
    }
  }
  return order;
}

/** `text` with every marker's numbers rewritten by `number(n)`. */
export function renumber(text, number) {
  return String(text || "").replace(MARKER, (_, list) =>
    `[${list.split(/[,，、]/).map((part) => number(Number.parseInt(part.trim(), 10))).join(", ")}]`);
}
