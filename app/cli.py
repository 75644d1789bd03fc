"""The `kotae` command: a thin shell over the application object."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.cli_feedback import feedback_commands
from app.errors import describe
from app.progress import IngestProgress
from app.settings import get_settings
from ingest.pipeline import DEFAULT_COLLECTION
from ingest.records import IngestReport
from retriever.records import DocumentInfo, Hit

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Kotae: answers from your documents."
)
documents_cli = typer.Typer(no_args_is_help=True, help="List, show and delete documents.")
cli.add_typer(documents_cli, name="documents")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CollectionOpt = Annotated[str | None, typer.Option("--collection", "-c", help="Collection name.")]


@contextmanager
def kotae_app() -> Iterator[Any]:
    """Open the application; a domain error becomes one line and its exit code (app/errors.py)."""
    # Imported here, as FAISS is: `kotae --help` works, and a missing extra is reported by main().
    from app.kotae import Kotae

    app = None
    try:
        app = Kotae(get_settings())
        yield app
    except Exception as e:
        kind = describe(e)
        if kind is None:
            raise
        err.print(f"[red]error:[/red] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(kind.exit_code) from None
    finally:
        if app is not None:
            app.close()


cli.add_typer(feedback_commands(kotae_app, err), name="feedback")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def hit_json(hit: Hit) -> dict[str, object]:
    from app.schemas.search import HitOut

    return HitOut.of(hit).model_dump()


def document_json(doc: DocumentInfo) -> dict[str, object]:
    from app.schemas.documents import DocumentOut

    return DocumentOut.model_validate(doc).model_dump()


@cli.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    collection: Annotated[str, typer.Option("--collection", "-c")] = DEFAULT_COLLECTION,
    enqueue: Annotated[
        bool,
        typer.Option(
            "--enqueue",
            help="Queue a job for the workers (`kotae worker`, `kotae serve`) and print its id, "
            "instead of ingesting here. The files must stay readable by the workers.",
        ),
    ] = False,
) -> None:
    """Ingest files and folders; failed files are named with their reason, the rest go on."""
    if enqueue:
        enqueue_files(paths, collection)
        return
    with kotae_app() as app, IngestProgress(err) as progress:
        report = app.ingesting.ingest(paths, collection, progress)
    print_summary(report)
    if report.failed:
        raise typer.Exit(1)


def enqueue_files(paths: list[Path], collection: str) -> None:
    """Queue one job over the files by path; its id goes to stdout, anything else to stderr."""
    with kotae_app() as app:
        queued = app.queueing.queue_paths(collection, paths)
    for m in queued.missing:
        err.print(f"[red]failed[/red] {escape(m.source)}: {escape(m.reason or '')}", soft_wrap=True)
    if queued.job_id is None:
        err.print("[red]error:[/red] no files to queue")
        raise typer.Exit(1)
    sys.stdout.write(queued.job_id + "\n")
    err.print(
        f"queued {queued.files} files as job {queued.job_id} (collection {collection})",
        soft_wrap=True,
    )
    if queued.missing:
        raise typer.Exit(1)


def print_summary(report: IngestReport) -> None:
    for f in report.files:
        if f.outcome in ("failed", "skipped", "duplicate"):
            colour = "red" if f.outcome == "failed" else "yellow"
            # Names and reasons (which may quote the file) are text, not console markup.
            reason = escape(f.reason or "")
            line = f"[{colour}]{f.outcome}[/{colour}] {escape(f.source)}: {reason}"
            err.print(line, soft_wrap=True)  # one line per file, however long its path
        if f.warnings:
            warned = escape(warnings_line(f.warnings))
            err.print(f"[yellow]warning[/yellow] {escape(f.source)}: {warned}", soft_wrap=True)
    err.print(
        f"added {report.count('added')}, updated {report.count('updated')}, "
        f"unchanged {report.count('unchanged')}, duplicate {report.count('duplicate')}, "
        f"failed {report.count('failed')}, "
        f"skipped {report.count('skipped')}; {report.chunks} chunks in {report.seconds:.1f} s"
    )


def warnings_line(warnings: tuple[str, ...], shown: int = 3) -> str:
    """A file's warnings on one line: how many, the first few, and how many more."""
    more = f"; {len(warnings) - shown} more" if len(warnings) > shown else ""
    noun = "warning" if len(warnings) == 1 else "warnings"
    return f"{len(warnings)} {noun}: {'; '.join(warnings[:shown])}{more}"


@cli.command()
def search(
    query: str,
    k: Annotated[
        int | None, typer.Option("-k", min=1, max=100, help="Default: KOTAE_SEARCH_TOP_K.")
    ] = None,
    collection: CollectionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the documents (hybrid dense + keyword)."""
    with kotae_app() as app:
        hits = app.searching.search(query, k, collection)
    if as_json:
        print_json({"hits": [hit_json(h) for h in hits]})
        return
    for i, hit in enumerate(hits, 1):
        c = hit.chunk
        out.print(
            f"[bold]{i}. {c.title or Path(c.source).name}[/bold] p.{c.page_start} "
            f"[dim]({hit.score:.3f}, {Path(c.source).name}, chunk {c.id})[/dim]"
        )
        out.print("   " + c.text[:300].replace("\n", " "))
    if not hits:
        out.print("no results")


@documents_cli.command("list")
def documents_list(collection: CollectionOpt = None, as_json: JsonOpt = False) -> None:
    """List documents with their status."""
    with kotae_app() as app:
        docs = app.documents.list(collection)
    if as_json:
        print_json({"documents": [document_json(d) for d in docs]})
        return
    table = Table("id", "collection", "title", "status", "pages", "chunks", "source")
    for d in docs:
        table.add_row(
            str(d.id), d.collection, d.title[:40], d.status, str(d.pages), str(d.chunks), d.source
        )
    out.print(table)


@documents_cli.command("show")
def documents_show(document_id: int, as_json: JsonOpt = False) -> None:
    """Show one document."""
    with kotae_app() as app:
        doc = app.documents.get(document_id)
    if as_json:
        print_json(document_json(doc))
        return
    for key, value in document_json(doc).items():
        out.print(f"[bold]{key}[/bold]: {value}")


@documents_cli.command("delete")
def documents_delete(document_id: int, as_json: JsonOpt = False) -> None:
    """Delete a document from the store and from every index."""
    with kotae_app() as app:
        app.documents.delete(document_id)
    if as_json:
        print_json({"deleted": document_id})
    else:
        out.print(f"deleted document {document_id}")


@cli.command()
def reindex(
    reembed: Annotated[
        bool,
        typer.Option(
            help="After an upgrade or a model change: re-process documents made with older"
            " text rules from their originals, and re-embed every other chunk."
        ),
    ] = False,
) -> None:
    """Rebuild the derived indexes (FAISS, BM25) from SQL; with --reembed, after an upgrade."""
    with kotae_app() as app:
        report = app.ingesting.reindex(reembed)
    for outcome in report.reprocessed:
        if outcome.outcome == "failed":
            err.print(f"[red]{escape(outcome.source)}: {escape(outcome.reason or '')}[/red]")
    if report.reprocessed:
        err.print(f"re-processed {len(report.reprocessed)} documents with the new text rules")
    if report.no_original:
        err.print(
            f"[yellow]{len(report.no_original)} documents made with older text rules have no"
            " original left (not uploaded, and the file is gone or changed): kept as they"
            " were; ingest them again to update them[/yellow]"
        )
    err.print(f"indexed {report.chunks} chunks")


@cli.command()
def ask(
    question: str,
    k: Annotated[
        int | None, typer.Option("-k", min=1, max=20, help="Default: KOTAE_TOP_K.")
    ] = None,
    collection: CollectionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the documents, with citations."""
    import asyncio

    from app.schemas.ask import AskResponse

    with kotae_app() as app:
        result = asyncio.run(app.asking.ask(question, collection, k))
    if as_json:
        print_json(AskResponse.of(result).model_dump(mode="json"))
        return
    for warning in result.answer.warnings:
        err.print(f"[yellow]{warning}[/yellow]")
    out.print(result.answer.text)
    if result.answer.mode == "extractive":
        out.print("[dim](extractive answer: quoted from the documents)[/dim]")
    for c in result.citations:
        mark = "" if c.supported else " [yellow](unsupported)[/yellow]"
        out.print(f"[bold][{c.n}][/bold] {c.title or Path(c.source).name}, p.{c.page}{mark}")
        out.print("    " + c.text[c.highlight_start : c.highlight_end].replace("\n", " ")[:300])


@cli.command("eval")
def evaluate_cmd(
    qa_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="QA .jsonl file.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    collection: CollectionOpt = None,
    no_answers: Annotated[bool, typer.Option("--no-answers", help="Retrieval only.")] = False,
    mode: Annotated[str, typer.Option(help="hybrid | dense | keyword")] = "hybrid",
    min_recall: Annotated[float | None, typer.Option(help="Exit 1 below this recall@k.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure retrieval (recall/MRR/nDCG@k, latency) and answers over a QA file."""
    from app.evaluation import evaluate, load_questions

    try:
        questions = load_questions(qa_file)
    except ValueError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(2) from None
    with kotae_app() as app:
        report = evaluate(app, questions, k, collection, not no_answers, mode)
    summary = report.summary()
    if as_json:
        print_json({**summary, "per_question": report.per_question})
    else:
        out.print_json(json.dumps(summary, ensure_ascii=False))
    recall = summary.get(f"recall@{k}")
    if min_recall is not None and (recall is None or recall < min_recall):
        err.print(f"[red]recall@{k} {recall} is below --min-recall {min_recall}[/red]")
        raise typer.Exit(1)


@cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="API only.")] = False,
) -> None:
    """Run the REST API and the chat UI (with an in-process ingest worker unless --no-worker)."""
    import uvicorn

    from app.api.app import create_app

    err.print(f"Kotae on http://{host}:{port}  (API docs: /docs)")
    uvicorn.run(create_app(get_settings(), with_worker=not no_worker), host=host, port=port)


@cli.command()
def worker() -> None:
    """Run an ingest worker: claims queued jobs until interrupted."""
    import signal
    import threading

    stop = threading.Event()

    def stop_gently(*_: object) -> None:
        # Like SIGTERM: the job in hand goes back to the queue at the next batch or page. An
        # interrupt raised anywhere could land inside a database write and leave its lock
        # held; a second Ctrl+C still interrupts at once (the job then goes stale).
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, stop_gently)
    with kotae_app() as app:
        err.print("worker started; waiting for jobs (Ctrl+C to stop, twice to stop at once)")
        try:
            app.worker().run(stop)
        except KeyboardInterrupt:
            stop.set()


def main() -> None:
    try:
        cli()
    except ModuleNotFoundError as e:
        if e.name != "faiss":
            raise
        err.print(f"[red]error:[/red] {escape(str(e))}")  # no [cpu] or [gpu] extra: say which
        sys.exit(2)
