"""`kotae feedback export`: users' feedback as evaluation data that `kotae eval` scores."""

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def feedback_commands(
    open_app: Callable[[], AbstractContextManager[Any]], err: Console
) -> typer.Typer:
    """The `feedback` command group; `open_app` opens the application as the CLI does."""
    commands = typer.Typer(no_args_is_help=True, help="Users' feedback on answers.")

    @commands.command("export")
    def export(
        since: Annotated[
            datetime | None,
            typer.Option(formats=DATE_FORMATS, help="Feedback given or changed since (UTC)."),
        ] = None,
        collection: Annotated[
            str | None, typer.Option("--collection", "-c", help="Questions asked in it.")
        ] = None,
        out_file: Annotated[
            Path | None,
            typer.Option("--out", dir_okay=False, help="Write here (default: stdout)."),
        ] = None,
    ) -> None:
        """Write feedback as a QA .jsonl file (`kotae eval` scores it): a right passage
        becomes evidence, a right answer `answer_any`, "the documents don't say this" an
        unanswerable question; the rest is skipped, counted on stderr."""
        # Here, not at the top: it reaches FAISS, and `kotae --help` works without it.
        from app.feedback_export import export_feedback

        with open_app() as app:
            turns, _ = app.feedback.find(None, since, collection)
        exported = export_feedback(turns)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exported.rows)
        if out_file is None:
            sys.stdout.write(text)
        else:
            try:
                out_file.write_text(text, encoding="utf-8")
            except OSError as e:
                err.print(f"[red]error:[/red] cannot write {escape(str(out_file))}: {e.strerror}")
                raise typer.Exit(2) from None
        err.print(exported.summary(), soft_wrap=True)

    return commands
