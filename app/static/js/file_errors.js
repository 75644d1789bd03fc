// Why a file failed, in the UI's language: the server words its ingest errors in English, so a
// Japanese UI puts a short reason first and keeps the server's words (the details) after it.

import { lang } from "./i18n.js";

const REASONS = [
  [/^not a PDF/i, "PDF ではありません"],
  [/^corrupt /i, "ファイルが壊れています"],
  [/^encrypted/i, "暗号化されているため読めません"],
  [/^empty file/i, "空のファイルです"],
  [/^no text/i, "テキストが見つかりません"],
  [/unsupported file type|binary content|nested archive/i, "対応していない形式です"],
  [/ over |too large|limit/i, "ファイルが大きすぎます"],
  [/^cannot read file/i, "ファイルを読み込めません"],
  [/OCR|tesseract/i, "文字認識 (OCR) に失敗しました"],
  [/try again/i, "一時的なエラーです。もう一度お試しください"],
];

/** `message` (a job file's or a document's error) for the UI's language. */
export function explainFileError(message) {
  const text = String(message || "");
  if (lang !== "ja" || !text) return text;
  const found = REASONS.find(([pattern]) => pattern.test(text));
  return found ? `${found[1]}（${text}）` : text;
}
