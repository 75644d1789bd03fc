// Short status messages, announced to screen readers through the live region.

/** Shows `message` for a few seconds; kind "error" stays longer and looks different. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = document.createElement("p");
  item.className = `toast toast-${kind}`;
  item.textContent = message;
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3500);
}
