"""The `kotae` command: a thin shell over the application object."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.errors import KotaeError
from app.progress import IngestProgress
from app.settings import get_settings
from ingest.pipeline import DEFAULT_COLLECTION, IngestReport
from retriever.corpus import DocumentNotFound
from retriever.indexes import EmbeddingModelMismatch
from retriever.records import DocumentInfo, Hit

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="Kotae: answers from your documents.")
documents_cli = typer.Typer(no_args_is_help=True, help="List, show and delete documents.")
cli.add_typer(documents_cli, name="documents")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CollectionOpt = Annotated[str | None, typer.Option("--collection", "-c", help="Collection name.")]


@contextmanager
def kotae_app() -> Iterator[Any]:
    """Open the application; turn known failures into a message and exit code 2."""
    from app.kotae import Kotae

    app = None
    try:
        app = Kotae(get_settings())
        yield app
    except (KotaeError, EmbeddingModelMismatch, DocumentNotFound) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        if app is not None:
            app.close()


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def hit_json(hit: Hit) -> dict[str, object]:
    c = hit.chunk
    return {
        "chunk_id": c.id,
        "document_id": c.document_id,
        "source": c.source,
        "title": c.title,
        "page": c.page_start,
        "text": c.text,
        "score": round(hit.score, 6),
    }


def document_json(doc: DocumentInfo) -> dict[str, object]:
    return {
        "id": doc.id,
        "collection": doc.collection,
        "source": doc.source,
        "title": doc.title,
        "mime": doc.mime,
        "content_hash": doc.content_hash,
        "size": doc.size,
        "pages": doc.pages,
        "chunks": doc.chunks,
        "status": doc.status,
        "error": doc.error,
        "created_at": doc.created_at.isoformat(),
        "updated_at": doc.updated_at.isoformat(),
    }


@cli.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    collection: Annotated[str, typer.Option("--collection", "-c")] = DEFAULT_COLLECTION,
) -> None:
    """Ingest files and folders; failed files are named with their reason, the rest go on."""
    with kotae_app() as app:
        with IngestProgress(err) as progress:
            report = app.ingest(paths, collection, progress)
    print_summary(report)
    if report.failed:
        raise typer.Exit(1)


def print_summary(report: IngestReport) -> None:
    for f in report.files:
        if f.outcome in ("failed", "skipped"):
            colour = "red" if f.outcome == "failed" else "yellow"
            err.print(f"[{colour}]{f.outcome}[/{colour}] {f.source}: {f.reason}")
    err.print(
        f"added {report.count('added')}, updated {report.count('updated')}, "
        f"unchanged {report.count('unchanged')}, failed {report.count('failed')}, "
        f"skipped {report.count('skipped')}; {report.chunks} chunks in {report.seconds:.1f} s"
    )


@cli.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 10,
    collection: CollectionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the documents (hybrid dense + keyword)."""
    with kotae_app() as app:
        hits = app.search(query, k, collection)
    if as_json:
        print_json({"hits": [hit_json(h) for h in hits]})
        return
    for i, hit in enumerate(hits, 1):
        c = hit.chunk
        out.print(f"[bold]{i}. {c.title or Path(c.source).name}[/bold] p.{c.page_start} "
                  f"[dim]({hit.score:.3f}, {Path(c.source).name}, chunk {c.id})[/dim]")
        out.print("   " + c.text[:300].replace("\n", " "))
    if not hits:
        out.print("no results")


@documents_cli.command("list")
def documents_list(collection: CollectionOpt = None, as_json: JsonOpt = False) -> None:
    """List documents with their status."""
    with kotae_app() as app:
        docs = app.list_documents(collection)
    if as_json:
        print_json({"documents": [document_json(d) for d in docs]})
        return
    table = Table("id", "collection", "title", "status", "pages", "chunks", "source")
    for d in docs:
        table.add_row(str(d.id), d.collection, d.title[:40], d.status, str(d.pages),
                      str(d.chunks), d.source)
    out.print(table)


@documents_cli.command("show")
def documents_show(document_id: int, as_json: JsonOpt = False) -> None:
    """Show one document."""
    with kotae_app() as app:
        doc = app.get_document(document_id)
    if as_json:
        print_json(document_json(doc))
        return
    for key, value in document_json(doc).items():
        out.print(f"[bold]{key}[/bold]: {value}")


@documents_cli.command("delete")
def documents_delete(document_id: int, as_json: JsonOpt = False) -> None:
    """Delete a document from the store and from every index."""
    with kotae_app() as app:
        app.delete_document(document_id)
    if as_json:
        print_json({"deleted": document_id})
    else:
        out.print(f"deleted document {document_id}")


@cli.command()
def reindex(
    reembed: Annotated[bool, typer.Option(help="Re-embed every chunk with the configured model.")] = False,
) -> None:
    """Rebuild the derived indexes (FAISS, BM25) from SQL."""
    with kotae_app() as app:
        count = app.reindex(reembed)
    err.print(f"indexed {count} chunks")


def main() -> None:
    cli()
