"""The `kb` command: a thin layer over kb/ and ingest/ that prints and sets exit codes."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from kb.config import Config, site_url
from kb.errors import KbError


def _open_index(config: Config):
    from kb.index import Index

    try:
        return Index.open(config, notify=lambda msg: click.echo(msg, err=True))
    except KbError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="granskningsarkivet")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Granskningsarkivet: search Swedish municipal audit reports, with citations."""
    try:
        ctx.obj = Config.from_env()
    except KbError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary.")
@click.option("--prune", is_flag=True,
              help="Also remove reports whose file is gone from the given folders.")
@click.pass_obj
def ingest(config: Config, paths: tuple[Path, ...], quiet: bool, prune: bool) -> None:
    """Read report files and folders (.pdf, .md, .txt) into the index."""
    from tqdm import tqdm

    from ingest.pipeline import Pipeline, discover, passed_over
    from kb.export import counted

    index = _open_index(config)
    files = discover(paths)
    for path in [] if quiet else passed_over(paths):
        click.echo(f"HOPP {path}: beskriver mappen och är ingen rapport (ange filen för sig för att läsa in den)",
                   err=True)
    bar = tqdm(total=0, unit=" avsnitt", desc="Indexerar", disable=quiet or None, file=sys.stderr)

    def say(line: str) -> None:
        """A line above the progress bar, through click, which drops colour when stderr is no terminal."""
        with tqdm.external_write_mode(file=sys.stderr):
            click.echo(line, err=True)

    def on_file(outcome) -> None:
        if outcome.status == "failed":
            say(click.style(f"FEL  {outcome.path}: {outcome.message}", fg="red"))
        elif not quiet:
            say(_describe(outcome))

    def progress(n: int) -> None:
        bar.total += n
        bar.update(n)

    try:
        summary = Pipeline(index, progress=progress).run(files, on_file=on_file)
    except KbError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()
    removed = _prune(index, [p for p in paths if p.is_dir()]) if prune else None
    counts = {status: summary.count(status) for status in _SUMMARY_WORDS}
    said = ", ".join(counted(counts[status], one, many) for status, (one, many) in _SUMMARY_WORDS.items())
    click.echo(
        f"Klart: {said} (added={counts['added']} updated={counts['updated']} "
        f"unchanged={counts['unchanged']} duplicate={counts['duplicate']} failed={counts['failed']}"
        + (f" removed={removed})" if removed is not None else ")")
    )
    if summary.failed:
        sys.exit(1)


#: Each outcome in the summary's Swedish, singular and plural.
_SUMMARY_WORDS = {"added": ("tillagd", "tillagda"), "updated": ("uppdaterad", "uppdaterade"),
                  "unchanged": ("oförändrad", "oförändrade"), "duplicate": ("dubblett", "dubbletter"),
                  "failed": ("misslyckad", "misslyckade")}


def _prune(index, folders: list[Path]) -> int:
    from ingest.removal import missing_reports, remove_report, renamed_reports

    for report, source, aliases in renamed_reports(index, folders):
        with index.catalog.transaction() as db:
            index.catalog.set_names(db, report.id, source, aliases)
        if source != report.source:
            click.echo(f"FLYTT {report.id}: filen {report.source} finns inte längre, källa nu {source}", err=True)
    gone = missing_reports(index, folders)
    for report in gone:
        remove_report(index, report.id)
        click.echo(f"BORT {report.id}: filen {report.source} finns inte längre", err=True)
    if gone:
        index.lexical.ensure_matrix()
    return len(gone)


@cli.command()
@click.argument("report_ids", nargs=-1, required=True)
@click.pass_obj
def remove(config: Config, report_ids: tuple[str, ...]) -> None:
    """Remove reports from the index by id (see `kb reports`)."""
    from ingest.removal import remove_report

    index = _open_index(config)
    failed = False
    for report_id in dict.fromkeys(report_ids):  # an id named twice is removed once
        try:
            report = remove_report(index, report_id)
        except KbError as exc:
            click.echo(click.style(f"FEL  {exc}", fg="red"), err=True)
            failed = True
            continue
        click.echo(f"Borttagen: {report.id} ({report.meta.title}, {report.chunk_count} avsnitt)")
    index.lexical.ensure_matrix()
    if failed:
        sys.exit(1)


def _describe(outcome) -> str:
    label = {"added": "NY ", "updated": "UPPD", "unchanged": "OFÖR", "duplicate": "DUBB"}
    line = f"{label.get(outcome.status, outcome.status)} {outcome.path}"
    if outcome.meta is not None:
        m = outcome.meta
        line += (f"\n     -> {outcome.report_id}: {m.title!r}, {m.kommun or '?'}, {m.year or '?'}, "
                 f"{m.firm or '?'}, {m.doc_type}, {outcome.chunks} avsnitt"
                 f"\n     granskat: {m.audited_body or '?'} · datum: {m.date or '?'}")
    for warning in outcome.warnings:
        line += f"\n     varning: {warning}"
    if outcome.message:
        line += f"\n     {outcome.message}"
    return line


@cli.command()
@click.argument("query", required=False)
@click.option("-k", type=int, default=10, show_default=True, help="Number of hits (1-100).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read one query a line; with --json, write one JSON object a line.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "csv"]), default=None,
              help="Output: text (default), json (as --json), md or csv (passages with full citations).")
@click.option("--exact", is_flag=True,
              help="Search the words as typed (by default words the archive does not know are corrected).")
@click.option("--base-url", metavar="URL",
              help="The site's address, to print permalinks in full (text, md, csv); default KB_SITE_URL, "
                   "without either they are paths on the site.")
@click.pass_obj
def search(config: Config, query: str | None, k: int, as_json: bool, from_stdin: bool,
           fmt: str | None, exact: bool, base_url: str | None) -> None:
    """Search the index and print ranked passages with citations."""
    from kb.export import to_csv, to_markdown
    from kb.search import Searcher

    try:
        base = site_url(base_url, "--base-url") if base_url is not None else config.site_url
    except KbError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-url") from exc
    base = base or ""
    if from_stdin == (query is not None):
        raise click.UsageError("Ange antingen en fråga eller --stdin.")
    if fmt in ("md", "csv") and (from_stdin or as_json):
        raise click.UsageError("--format md/csv går inte att kombinera med --stdin eller --json.")
    as_json = as_json or fmt == "json"
    searcher = Searcher(_open_index(config))
    queries = (line.rstrip("\n") for line in sys.stdin) if from_stdin else [query]
    failed = False
    for text in queries:
        if from_stdin and not text.strip():
            continue
        try:
            result = searcher.search(text, k=k, spell=not exact)
        except KbError as exc:
            if not from_stdin:
                raise click.ClickException(str(exc)) from exc
            failed = True
            if as_json:  # one JSON object a line, the failed query's too
                click.echo(json.dumps({"query": text, "error": str(exc)}, ensure_ascii=False))
            else:
                click.echo(click.style(f"FEL  {text[:80]!r}: {exc}", fg="red"), err=True)
            continue
        if result.corrections and not as_json:
            click.echo(f"Sökte efter: {result.searched} (--exact söker på orden som de skrevs)", err=True)
        if fmt == "md":
            click.echo(to_markdown(result.hits, title=f"Sökning: {result.searched}", base_url=base), nl=False)
        elif fmt == "csv":
            click.echo(to_csv(result.hits, base_url=base), nl=False)
        elif as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False,
                                  indent=None if from_stdin else 2))
        else:
            _print_hits(result, base)
    if failed:
        sys.exit(1)


def _print_hits(result, base_url: str = "") -> None:
    from kb.export import page_range, permalink
    from kb.highlight import plain_text

    if not result.hits:
        click.echo("Inga träffar.")
    for hit in result.hits:
        cite = ", ".join(str(x) for x in (hit.kommun, hit.title, hit.firm, hit.year) if x)
        where = f"avsnitt {hit.section!r}" if hit.section else ""
        if hit.page:
            where += f", s. {page_range(hit.page, hit.page_end)}"
        click.echo(click.style(f"{hit.rank}. [{hit.score:.3f}] {cite}", bold=True))
        click.echo(f"   {where}  {permalink(hit, base_url)}")
        excerpt = " ".join(plain_text(hit.text).split())
        click.echo(f"   {excerpt[:400]}{'…' if len(excerpt) > 400 else ''}\n")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_obj
def serve(config: Config, host: str, port: int, threads: int) -> None:
    """Serve the site with the waitress WSGI server."""
    import waitress

    from web import configure_logging, create_app

    configure_logging()
    try:
        app = create_app(config=config)
    except KbError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="granskningsarkivet")
    except (OSError, ValueError) as exc:
        raise click.ClickException(_unbindable(host, port, exc)) from exc
    click.echo(f"Granskningsarkivet på http://{host}:{port}/", err=True)
    server.run()
    uploads = app.extensions.get("kb.jobs")
    if uploads is not None and not uploads.wait(timeout=0):
        click.echo("Väntar på att pågående inläsning blir klar (Ctrl-C igen avbryter den) …", err=True)
        with contextlib.suppress(KeyboardInterrupt):  # the ingest is one transaction: nothing half-written stays
            uploads.wait(timeout=3600)


def _unbindable(host: str, port: int, exc: OSError | ValueError) -> str:
    """Why the site cannot listen where asked, in words that say what to change."""
    import errno

    code = getattr(exc, "errno", None)
    if code == errno.EADDRINUSE:
        return f"Porten {port} är upptagen (ett annat program lyssnar redan på den): välj en annan med --port."
    if code == errno.EACCES:
        return f"Porten {port} får inte användas (behörighet saknas): välj en port över 1023 med --port."
    if code == errno.EADDRNOTAVAIL or isinstance(exc, ValueError):
        return f"Adressen {host} finns inte på den här datorn: ange en annan med --host, till exempel 127.0.0.1."
    return f"Servern kunde inte starta på {host}:{port} ({getattr(exc, 'strerror', None) or exc})."


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def reports(config: Config, as_json: bool) -> None:
    """List every report in the index with its metadata and chunk count."""
    index = _open_index(config)
    rows = [_report_dict(r) for r in index.catalog.reports()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']}\n   {r['title']} · {r['kommun'] or '?'} · {r['year'] or '?'} · "
                   f"{r['firm'] or '?'} · {r['doc_type']} · {r['chunks']} avsnitt\n   {r['source']}")


def _report_dict(report) -> dict:
    return {**report.to_dict(), "source": report.source, "aliases": list(report.aliases)}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--kommun", multiple=True, help="Only these kommuner (repeatable).")
@click.pass_obj
def findings(config: Config, as_json: bool, kommun: tuple[str, ...]) -> None:
    """List extracted revisionsfrågor (with answers) and rekommendationer."""
    from kb.findings import finding_dicts
    from kb.models import SECTION_TYPE_LABELS

    index = _open_index(config)
    known = index.catalog.distinct_values()["kommun"]
    unknown = [name for name, spelled in zip(kommun, index.catalog.kommun_names(kommun), strict=True)
               if spelled not in known]
    for name in unknown:
        click.echo(f"Kommunen {name!r} finns inte i arkivet. Kommuner i arkivet: {', '.join(known) or 'inga'}.",
                   err=True)
    rows = finding_dicts(index.catalog.findings(list(kommun)), index.catalog)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows and not unknown:
        click.echo("Inga revisionsfrågor eller rekommendationer extraherade.", err=True)
    for row in [] if as_json else rows:
        answer = f" [{row['answer']}]" if row["answer"] else ""
        click.echo(f"{row['kommun'] or '?'} {row['year'] or ''} · {SECTION_TYPE_LABELS[row['kind']]}{answer}: "
                   f"{row['text']}\n   {row['url']}")
    if unknown:
        sys.exit(1)


@cli.command("eval")
@click.option("--set", "sets", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Query set(s) (JSON lines); default eval/dev.jsonl, eval/heldout.jsonl and "
                   "eval/transfer.jsonl.")
@click.option("--worst", default=10, show_default=True, help="How many of the worst queries to list.")
@click.option("--by-kind", is_flag=True, help="Also break hybrid down by kind of query.")
@click.option("--judged-by", "judged", type=click.Choice(["reading", "pool", "all"]), default="all",
              show_default=True, help="Score against the judgments written while reading the reports, "
                                      "those of the blind pooled judging, or both.")
@click.pass_obj
def evaluate(config: Config, sets: tuple[Path, ...], worst: int, by_kind: bool, judged: str) -> None:
    """Score lexical, dense and hybrid search on judged queries (nDCG@10, Recall@5, MRR@10, hit@1, best@1).

    "fusion" is hybrid search without its learned reranker (kb/rerank.py). Below each table, how
    far hybrid is ahead of each other method in nDCG@10, with a 95 % paired-bootstrap interval.

    Run it on an index of the evaluation corpus: kb ingest $(python -m eval.corpus).
    """
    from kb.evaluation import (
        JUDGED_BY,
        QUERY_SETS,
        format_table,
        judged_by,
        load_queries,
        paired_difference,
        unindexed_files,
        worst_queries,
    )
    from kb.evaluation import evaluate as run_eval
    from kb.rerank import trained_on
    from kb.search import MODES, Searcher

    index = _open_index(config)
    searcher, fusion = Searcher(index), Searcher(index, rerank=False)
    click.echo(_index_line(index, config))
    repo = Path(__file__).resolve().parents[1]
    for path in sets or tuple(repo / "eval" / f"{name}.jsonl" for name in QUERY_SETS):
        queries = judged_by(load_queries(path), JUDGED_BY if judged == "all" else (judged,))
        if missing := unindexed_files(index.catalog, queries):
            click.echo(f"warning: the index lacks documents {path.name} is judged on ({', '.join(missing)}), "
                       "so its figures say little; index the evaluation corpus: kb ingest $(python -m eval.corpus)",
                       err=True)
        reports = {mode: run_eval(lambda q, m=mode: [h.text for h in searcher.search(q, 10, mode=m).hits],
                                  queries) for mode in MODES[:0:-1]}
        reports["fusion"] = run_eval(lambda q: [h.text for h in fusion.search(q, 10).hits], queries)
        reports["hybrid"] = run_eval(lambda q: [h.text for h in searcher.search(q, 10).hits], queries)
        click.echo(f"\n{path.name} ({len(queries)} queries)\n{format_table(reports)}")
        if searcher.reranker is not None and trained_on(path):
            click.echo("These judgments trained the reranker, so its hybrid row is in-sample; "
                       "python -m eval.train_ranker --cv gives the cross-validated figure.")
        for other in ("lexical", "dense", "fusion"):
            click.echo(f"hybrid − {other:<8} {paired_difference(reports['hybrid'], reports[other])}")
        if by_kind:
            click.echo(format_table(reports["hybrid"].by_kind()))
        if worst:
            click.echo("Worst hybrid queries:")
        for row in worst_queries(reports["hybrid"], worst):
            click.echo(f"  {row.id:<12} nDCG {row.ndcg:.2f}  {row.kind:<13} {row.query}  gains={list(row.gains)}")


def _index_line(index, config: Config) -> str:
    """What the figures were measured on: two builds differ when the model's runtime does, so the
    runtime's versions are printed beside the index."""
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("onnxruntime", "torch", "sentence-transformers", "transformers"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    reports, chunks = index.catalog.counts()
    return (f"Index: {reports} reports, {chunks} passages · model {index.embedder.name}"
            f" ({config.model_backend}) · {', '.join(versions)}")


def main() -> None:  # pragma: no cover
    cli()
