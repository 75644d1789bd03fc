// A preview of a citation's passage while the pointer rests on its chip or the chip has the
// keyboard focus: one floating box, text nodes only, positioned through the CSSOM (CSP-safe).

const MAX_CHARS = 280;
let box = null;
let owner = null;

function tooltip() {
  if (!box) {
    box = document.createElement("div");
    box.id = "cite-preview";
    box.className = "cite-preview";
    box.setAttribute("role", "tooltip");
    box.hidden = true;
    document.body.append(box);
  }
  return box;
}

function show(button, text) {
  const tip = tooltip();
  owner = button;
  tip.textContent = text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
  tip.lang = /[\u3040-\u30ff\u4e00-\u9fff]/.test(text) ? "ja" : "en";
  tip.hidden = false;
  const at = button.getBoundingClientRect();
  const width = tip.offsetWidth;
  const height = tip.offsetHeight;
  const left = Math.min(Math.max(8, at.left + at.width / 2 - width / 2), window.innerWidth - width - 8);
  const above = at.top - height - 8;
  tip.style.left = `${left}px`;
  tip.style.top = `${above >= 8 ? above : at.bottom + 8}px`;
}

function hide(button) {
  if (box && (!button || owner === button)) {
    box.hidden = true;
    owner = null;
  }
}

/** Shows `text` (the cited span, or the passage) near `button` on hover and keyboard focus. */
export function attachPreview(button, text) {
  if (!text) return;
  button.addEventListener("mouseenter", () => show(button, text));
  button.addEventListener("mouseleave", () => hide(button));
  button.addEventListener("focus", () => {
    if (button.matches(":focus-visible")) show(button, text);
  });
  button.addEventListener("blur", () => hide(button));
  button.addEventListener("click", () => hide(button));
  button.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && owner === button && !box.hidden) hide(button);
  });
}

/** Hides the preview (the log scrolled, the chat changed). */
export function hidePreview() {
  hide(null);
}
