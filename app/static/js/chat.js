// The conversation in view: sends questions (with history) into the current conversation,
// streams answers, reopens saved ones, regenerates or edits the last question.

import { ApiError, postJSON, readEvents } from "./api.js";
import { AnswerView, nearBottom, scrollToEnd, scroller } from "./answer_view.js";
import {
  currentConversation,
  initConversations,
  refreshConversations,
  setCurrentConversation,
} from "./conversations.js";
import { ICONS, el, hasJapanese, iconButton } from "./dom.js";
import { attachFeedback } from "./feedback.js";
import { t } from "./i18n.js";
import { closeSource } from "./sources.js";
import { store } from "./store.js";

const MARKERS = /\s?\[\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\]/g;
const MAX_TURNS = 20;
const MAX_TURN_CHARS = 4000;

const history = []; // {role, content}, oldest first, as POST /v1/ask takes it
let active = null; // {controller} while an answer streams
let shown = 0; // bumped whenever the log is replaced, so a late answer knows it is stale
let editing = null; // the saved turn an edited question, once sent, replaces

const $ = (id) => document.getElementById(id);

function userMessage(text) {
  const article = el("article", "msg msg-user");
  article.setAttribute("aria-label", t("you"));
  const bubble = el("div", "bubble", text);
  if (hasJapanese(text)) bubble.lang = "ja";
  article.append(bubble);
  return article;
}

function remember(question, answer) {
  history.push(
    { role: "user", content: question.slice(0, MAX_TURN_CHARS) },
    { role: "assistant", content: answer.answer.replace(MARKERS, "").slice(0, MAX_TURN_CHARS) },
  );
}

/** Regenerate and edit are offered on the last exchange only; the new answer replaces its
 * saved turn (`turnId`) on the server, so a reload shows only the new one. */
function offerLastTurnTools(asked, view, question, turns, turnId) {
  for (const old of scroller().querySelectorAll(".turn-tools")) old.remove();
  const tools = el("span", "turn-tools");
  const again = iconButton(ICONS.retry, t("regenerate"));
  const edit = iconButton(ICONS.edit, t("editQuestion"));
  const forget = () => {
    closeSource({ restoreFocus: false });
    asked.remove();
    view.el.remove();
    history.length = Math.max(0, history.length - 2);
  };
  again.addEventListener("click", () => {
    if (active) return;
    forget();
    ask(question, turns, turnId);
  });
  edit.addEventListener("click", () => {
    if (active) return;
    forget();
    editing = turnId ?? null;
    const area = $("question");
    area.value = question;
    autosize(area);
    area.focus();
  });
  tools.append(again, edit);
  view.actions.prepend(tools);
}

/** Renders a finished answer into `view` with its feedback controls. */
function finish(view, answer, gone, feedback) {
  view.final(answer, gone);
  attachFeedback(view.actions, view.extra, answer, feedback, view.number);
}

function setBusy(busy) {
  $("composer").classList.toggle("busy", busy);
  $("send").setAttribute("aria-label", t(busy ? "stop" : "send"));
}

/** Asks `question` with the conversation so far and streams the answer into the log; with
 * `replaces`, the answer takes the place of that saved turn once it is saved. */
export async function ask(question, turns = history.slice(-MAX_TURNS), replaces = null) {
  $("welcome").hidden = true;
  closeSource({ restoreFocus: false }); // it shows an earlier answer's passage
  for (const old of scroller().querySelectorAll(".turn-tools")) old.remove();
  const log = scroller();
  const asked = userMessage(question);
  const view = new AnswerView();
  log.append(asked, view.el);
  scrollToEnd();

  const controller = new AbortController();
  active = { controller };
  const epoch = shown;
  setBusy(true);
  const body = { question, history: turns, stream: true, conversation_id: currentConversation() || "new" };
  if (store.collection) body.collection = store.collection;
  if (replaces && body.conversation_id !== "new") body.replaces_turn_id = replaces;
  const retry = () => {
    asked.remove();
    ask(question, turns, replaces);
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
        finished = true;
        if (epoch !== shown) break; // the user moved to another conversation meanwhile
        // Measured before the answer grows, so a reader who scrolled up is left there.
        const stick = nearBottom();
        finish(view, payload);
        if (stick) scrollToEnd();
        remember(question, payload);
        offerLastTurnTools(asked, view, question, turns, payload.turn_id);
        if (payload.conversation_id) {
          setCurrentConversation(payload.conversation_id);
          refreshConversations();
        }
      } else if (event === "error") {
        view.error(payload.error?.message || t("networkError"), retry);
        finished = true;
      }
    }
    if (!finished) view.error(t("networkError"), retry);
  } catch (error) {
    if (error.name === "AbortError") view.stopped();
    else if (error instanceof ApiError && error.status === 404 && body.conversation_id !== "new") {
      // The conversation was deleted elsewhere: this question starts a new one.
      setCurrentConversation(null);
      view.error(error.message, retry);
    } else if (error instanceof ApiError) view.error(error.message, error.status === 401 ? null : retry);
    else view.error(t("networkError"), retry);
  } finally {
    if (active && active.controller === controller) active = null;
    setBusy(false);
  }
}

/** Empties the log (a streaming answer is stopped). */
function clearLog() {
  if (active) active.controller.abort();
  shown += 1;
  editing = null;
  history.length = 0;
  closeSource({ restoreFocus: false });
  for (const node of [...scroller().children]) if (node.id !== "welcome") node.remove();
  $("welcome").hidden = false;
}

/** Starts a new chat; the one in view stays in the history list. */
export function newChat() {
  clearLog();
  setCurrentConversation(null);
  refreshConversations();
  $("question").focus();
}

/** Shows a saved conversation ({conversation, turns}) and continues it. */
async function showConversation(detail) {
  clearLog();
  const turns = detail.turns || [];
  if (turns.length) $("welcome").hidden = true;
  if (detail.earlier) scroller().append(el("p", "note earlier-turns", t("earlierTurns", { n: detail.earlier })));
  let last = null;
  for (const turn of turns) {
    const asked = userMessage(turn.question);
    const view = new AnswerView();
    scroller().append(asked, view.el);
    finish(view, turn.response, new Set(turn.sources_gone || []), turn.feedback);
    last = { asked, view, question: turn.question, turns: history.slice(-MAX_TURNS), id: turn.id };
    remember(turn.question, turn.response);
  }
  if (last) offerLastTurnTools(last.asked, last.view, last.question, last.turns, last.id);
  scrollToEnd();
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
    const replaces = editing;
    editing = null;
    ask(question, undefined, replaces);
  });
  area.addEventListener("keydown", (event) => {
    // Enter while an IME composes Japanese confirms the conversion; it must not send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (!active) form.requestSubmit();
  });
  area.addEventListener("input", () => autosize(area));
  $("new-chat").addEventListener("click", newChat);
  initConversations(showConversation, () => {
    clearLog();
    setCurrentConversation(null);
  });
}
