// Feedback on one saved answer: thumbs up or down, a comment, the passage that was right (one
// of the shown ones, or pasted), or "the documents don't say this". PUT …/turns/{id}/feedback;
// a pressed thumb pressed again un-sets it (DELETE when nothing else is left).

import { apiFetch } from "./api.js";
import { ICONS, el, iconButton } from "./dom.js";
import { t } from "./i18n.js";

let forms = 0; // unique ids for labels

function field(labelText, control) {
  const label = el("label", "field");
  label.append(el("span", null, labelText), control);
  return label;
}

/** The passages an answer showed, once each by chunk id: its citations first (numbered as
 * their chips are), then the other passages it was given. */
function shownPassages(answer, number) {
  const seen = new Map();
  const cited = (answer.citations || []).map((c) => ({ ...c, label: `[${number(c.n)}] ` }));
  for (const c of [...cited.sort((a, b) => a.label.localeCompare(b.label, "en", { numeric: true })),
    ...(answer.passages || [])]) {
    if (!seen.has(c.chunk_id)) seen.set(c.chunk_id, c);
  }
  return [...seen.values()];
}

/**
 * Adds the feedback controls of `answer` (saved as `answer.turn_id` in
 * `answer.conversation_id`) to `actions`, the form to `extra`; `saved` is its stored feedback,
 * `number(n)` the number its chips show for passage n.
 */
export function attachFeedback(actions, extra, answer, saved = null, number = (n) => n) {
  if (!answer.conversation_id || !answer.turn_id) return;
  const url = `/v1/conversations/${encodeURIComponent(answer.conversation_id)}` +
    `/turns/${encodeURIComponent(answer.turn_id)}/feedback`;
  const state = { rating: saved?.rating ?? null, stored: Boolean(saved) };
  const up = iconButton(ICONS.up, t("thumbsUp"), "icon-btn small thumb thumb-up");
  const down = iconButton(ICONS.down, t("thumbsDown"), "icon-btn small thumb thumb-down");
  const more = el("button", "btn btn-ghost btn-small feedback-more", t("feedbackMore"));
  more.type = "button";
  more.setAttribute("aria-expanded", "false");
  const status = el("span", "feedback-status");
  status.setAttribute("role", "status");
  const syncThumbs = () => {
    up.setAttribute("aria-pressed", String(state.rating === "up"));
    down.setAttribute("aria-pressed", String(state.rating === "down"));
  };
  syncThumbs();

  const id = `fb-${++forms}`;
  const form = el("form", "feedback-form");
  form.hidden = true;
  form.setAttribute("aria-label", t("feedbackTitle"));
  const comment = el("textarea");
  comment.rows = 2;
  comment.maxLength = 2000;
  comment.value = saved?.comment ?? "";
  const choice = el("select");
  choice.id = `${id}-passage`;
  choice.append(new Option(t("rightNone"), ""));
  for (const p of shownPassages(answer, number)) {
    // A citation shows the span it quoted, which is what the user read in the answer.
    const span = p.highlight_end > p.highlight_start ? p.text.slice(p.highlight_start, p.highlight_end) : p.text;
    const snippet = span.length > 80 ? `${span.slice(0, 80)}…` : span;
    choice.append(new Option(`${p.label || ""}${p.title} (${t("pageShort", { page: p.page })}): ${snippet}`,
      String(p.chunk_id)));
  }
  choice.append(new Option(t("rightPaste"), "paste"));
  const pasted = el("textarea", "feedback-paste");
  pasted.rows = 3;
  pasted.maxLength = 4000;
  pasted.setAttribute("aria-label", t("rightPasteLabel"));
  const rightAnswer = el("input");
  rightAnswer.type = "text";
  rightAnswer.maxLength = 500;
  rightAnswer.value = saved?.right_answer ?? "";
  const notIn = el("input");
  notIn.type = "checkbox";
  const notInLabel = el("label", "check");
  notInLabel.append(notIn, el("span", null, t("notInDocuments")));
  if (saved?.right_chunk_id != null) choice.value = String(saved.right_chunk_id);
  if (saved?.right_text) {
    choice.value = "paste";
    pasted.value = saved.right_text;
  }
  notIn.checked = Boolean(saved?.not_in_documents);
  const sync = () => {
    pasted.hidden = choice.value !== "paste";
    choice.disabled = notIn.checked;
    pasted.disabled = notIn.checked;
    rightAnswer.disabled = notIn.checked;
  };
  choice.addEventListener("change", sync);
  notIn.addEventListener("change", sync);
  sync();
  const send = el("button", "btn btn-primary btn-small", t("feedbackSend"));
  send.type = "submit";
  const buttons = el("div", "dialog-actions");
  buttons.append(send);
  form.append(field(t("feedbackComment"), comment), field(t("rightPassage"), choice), pasted,
    field(t("rightAnswer"), rightAnswer), notInLabel, buttons);

  const body = () => {
    const out = { not_in_documents: notIn.checked };
    if (state.rating) out.rating = state.rating;
    if (comment.value.trim()) out.comment = comment.value.trim();
    if (!notIn.checked && choice.value === "paste" && pasted.value.trim()) out.right_text = pasted.value.trim();
    else if (!notIn.checked && /^\d+$/.test(choice.value)) out.right_chunk_id = Number(choice.value);
    if (!notIn.checked && rightAnswer.value.trim()) out.right_answer = rightAnswer.value.trim();
    return out;
  };
  const save = async () => {
    const payload = body();
    const empty = !payload.not_in_documents && Object.keys(payload).length === 1;
    if (empty && !state.stored) return;
    status.textContent = "";
    try {
      if (empty) {
        // Nothing left to keep: the feedback is taken back.
        await apiFetch(url, { method: "DELETE" }).catch((error) => {
          if (error.status !== 404) throw error; // already gone
        });
        state.stored = false;
        status.textContent = t("feedbackRemoved");
        return;
      }
      await apiFetch(url, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      state.stored = true;
      status.textContent = t("feedbackSaved");
    } catch (error) {
      status.textContent = `${t("feedbackFailed")}: ${error.message}`;
    }
  };
  const open = (show) => {
    form.hidden = !show;
    more.setAttribute("aria-expanded", String(show));
  };
  for (const [button, rating] of [[up, "up"], [down, "down"]]) {
    button.addEventListener("click", () => {
      const unset = state.rating === rating; // pressed again: the thumb is taken back
      state.rating = unset ? null : rating;
      syncThumbs();
      save();
      if (rating === "down" && !unset) open(true);
    });
  }
  more.addEventListener("click", () => {
    open(form.hidden);
    if (!form.hidden) comment.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  actions.append(up, down, more, status);
  extra.append(form);
}
