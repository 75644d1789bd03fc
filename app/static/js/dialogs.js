// Modal dialogs on the native <dialog> element: focus trapping and Esc come with it.

import { t } from "./i18n.js";

let pendingKey = null;

/**
 * Asks for an API key; resolves to the key, or null when the user cancels.
 * Concurrent callers share one dialog.
 */
export function promptForKey(rejected) {
  if (pendingKey) return pendingKey;
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  const error = document.getElementById("key-error");
  const opener = document.activeElement;
  error.hidden = !rejected;
  input.value = "";
  pendingKey = new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener("close", onClose);
      pendingKey = null;
      const key = dialog.returnValue === "ok" ? input.value.trim() : "";
      if (opener instanceof HTMLElement) opener.focus();
      resolve(key || null);
    };
    dialog.addEventListener("close", onClose);
  });
  dialog.returnValue = "";
  dialog.showModal();
  input.focus();
  return pendingKey;
}

/** Wires the key dialog's cancel button (the form's submit already closes it with "ok"). */
export function initDialogs() {
  const keyDialog = document.getElementById("key-dialog");
  document.getElementById("key-cancel").addEventListener("click", () => keyDialog.close("cancel"));
  // Close a dialog when its backdrop (the dialog box's outside) is clicked.
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close("cancel");
    });
  }
}

/** Asks to confirm a deletion (`text` says what goes); true only when the user chooses Delete. */
export function confirmDelete(text, heading = t("deleteTitle")) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = heading;
  document.getElementById("confirm-text").textContent = text;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener("close", onClose);
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "ok");
    };
    dialog.addEventListener("close", onClose);
    dialog.returnValue = "";
    dialog.showModal();
    // The safe choice gets the focus, so Enter alone never deletes.
    document.getElementById("confirm-cancel").focus();
  });
}
