// Markdown tables (GitHub style) as DOM: cells go through the caller's inline renderer, so
// their text reaches the page as text nodes only.

const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/** The cells of a table row: split at unescaped pipes, outer pipes dropped. */
function cells(line) {
  const parts = [];
  let cell = "";
  const body = line.trim().replace(/^\|/, "").replace(/(^|[^\\])\|$/, "$1");
  for (let i = 0; i < body.length; i += 1) {
    if (body[i] === "\\" && body[i + 1] === "|") {
      cell += "|";
      i += 1;
    } else if (body[i] === "|") {
      parts.push(cell.trim());
      cell = "";
    } else {
      cell += body[i];
    }
  }
  parts.push(cell.trim());
  return parts;
}

/** True when lines[i] is a header row with a matching rule line under it. */
export function startsTable(lines, i) {
  const next = lines[i + 1];
  return lines[i].includes("|") && next !== undefined && next.includes("-") && TABLE_RULE.test(next) &&
    cells(lines[i]).length === cells(next).length;
}

/**
 * Parses a table at lines[start] (header, rule, rows); `inline(text, cell)` renders a cell.
 * Returns [node, next line index].
 */
export function table(lines, start, inline) {
  const head = cells(lines[start]);
  const align = cells(lines[start + 1]).map((c) =>
    c.endsWith(":") ? (c.startsWith(":") ? "center" : "right") : c.startsWith(":") ? "left" : "");
  const row = (values, tag) => {
    const tr = el("tr");
    head.forEach((_, k) => {
      const cell = el(tag);
      if (align[k]) cell.style.textAlign = align[k];
      inline(values[k] ?? "", cell);
      tr.append(cell);
    });
    return tr;
  };
  const node = el("table");
  const thead = el("thead");
  thead.append(row(head, "th"));
  const tbody = el("tbody");
  let i = start + 2;
  while (i < lines.length && lines[i].trim() !== "" && lines[i].includes("|")) tbody.append(row(cells(lines[i++]), "td"));
  node.append(thead, tbody);
  const wrap = el("div", "table-wrap");
  wrap.append(node);
  return [wrap, i];
}

