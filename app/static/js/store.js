// Shared state: the document list (for mime types and titles) and the chat's collection.

const listeners = new Set();

export const store = {
  /** @type {Map<number, object>} documents by id, as GET /v1/documents returns them */
  documents: new Map(),
  /** the selected collection for questions; "" means all */
  collection: "",
};

/** Replaces the document list and tells the subscribers. */
export function setDocuments(list) {
  store.documents = new Map(list.map((d) => [d.id, d]));
  for (const fn of listeners) fn(store.documents);
}

/** Calls `fn(documents)` on every change of the document list. */
export function onDocuments(fn) {
  listeners.add(fn);
}

/** Distinct collection names, sorted. */
export function collections() {
  return [...new Set([...store.documents.values()].map((d) => d.collection))].sort();
}
