"""The ingest pipeline: files in, reports with chunks, vectors and findings out.

Each file is handled on its own: read, understood, chunked and embedded before
anything is written, then its vectors are upserted, its catalog rows replaced
in one transaction, and vectors of passages that no longer exist pruned. A file
that fails leaves the index exactly as it was.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.overrides import checked, is_metadata_file, overrides_for
from kb.chunking import chunk_document
from kb.errors import IngestError, KbError
from kb.index import Index
from kb.lines import pieces, to_blob
from kb.models import Chunk, Document, Finding, Report, ReportMeta
from kb.search import chunk_metadata

#: Bumped when reading changes what a document gives, so the next ingest reads every document again.
#: 2: line vectors (kb/lines.py); 3: file-name titles, no state audited body, no table row a heading;
#: 4: no goal, rule or lead-in sentence a heading, two years in a file-name title a span (2020–2050);
#: 5: a Markdown report's first # heading its title, a PDF passage's pages those holding its text (page_end);
#: 6: no chart label, signature, colophon line or table total a heading.
PIPELINE_VERSION = "6"
_VALID_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")  # ids are URL path segments: /reports/<id>
SUFFIXES = {".txt", ".md", ".markdown", ".pdf"}
#: Office files found in a folder are not skipped silently: each fails, saying to save it as PDF.
OFFICE_SUFFIXES = {".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ppt", ".pptx"}
EMBED_BATCH = 32


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    path: Path
    status: str  # added, updated, unchanged, duplicate, failed
    report_id: str | None = None
    message: str = ""
    meta: ReportMeta | None = None
    chunks: int = 0
    warnings: tuple[str, ...] = ()


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


#: Names (before the first dot, any case) of files that describe a folder, not a report in it: a folder
#: walk passes them over (`passed_over`); named on their own they are read like any file.
FOLDER_NOTES = frozenset({"readme", "läsmig", "sources", "license", "licence", "copying", "notice", "changelog",
                          "changes", "history", "contributing", "authors"})


def _walk(folder: Path) -> list[Path]:
    """The files of a supported or refused type under a folder, hidden ones and Word's lock files aside."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES | OFFICE_SUFFIXES
        and not p.name.startswith("~$")  # Word's lock files
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _is_folder_note(path: Path) -> bool:
    return path.name.split(".")[0].casefold() in FOLDER_NOTES


def discover(paths: Iterable[Path]) -> list[Path]:
    """The report files under the given files and folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in _walk(path) if not _is_folder_note(p))
        elif not is_metadata_file(path):
            found.append(path)  # named explicitly: a wrong type gets its own clear error
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


def passed_over(paths: Iterable[Path]) -> list[Path]:
    """The README, SOURCES, LICENSE … files in the given folders, which `discover` leaves out: the user
    is told, so a report that happens to carry such a name can be named on its own."""
    return [p.resolve() for path in paths if path.is_dir() for p in _walk(path) if _is_folder_note(p)]


def slugify(text: str) -> str:
    """A readable, URL-safe id from a file name: 'Ödeshög rapport.pdf' -> 'odeshog-rapport'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:80] or "rapport"


def contextual_text(chunk: Chunk, meta: ReportMeta) -> str:
    """The chunk as embedded and indexed: its report and section path first, so a passage
    that never names its subject is still found."""
    head = " · ".join(x for x in (meta.title, meta.kommun and f"{meta.kommun} kommun"
                                  if meta.kommun and "Region" not in meta.kommun else meta.kommun)
                      if x)
    path = " › ".join(p for p in chunk.section_path if p)
    return "\n".join(x for x in (head, path, chunk.text) if x)


class Pipeline:
    """Ingests files into an open Index."""

    def __init__(self, index: Index, *, reader: Callable[..., Document] | None = None,
                 progress: Callable[[int], None] | None = None) -> None:
        if reader is None:
            from ingest.readers import read_document as reader

        self.index = index
        self.reader = reader
        self.progress = progress or (lambda n: None)

    def run(self, paths: Iterable[Path], on_file: Callable[[FileOutcome], None] | None = None
            ) -> IngestSummary:
        summary = IngestSummary()
        self.index.record_model()
        self.index.reconcile()
        for path in discover(paths):
            outcome = self.ingest_file(path)
            summary.outcomes.append(outcome)
            if on_file:
                on_file(outcome)
        self._embed_missing_findings()
        self.index.lexical.ensure_matrix()
        return summary

    def _embed_missing_findings(self) -> None:
        """Store vectors for the findings of reports ingested before finding vectors were kept,
        so an older index catches up on its next ingest without re-embedding its chunks."""
        catalog = self.index.catalog
        missing = catalog.findings_without_vectors()
        if not missing:
            return
        vectors = self._embed([text for _, _, text in missing], counted=0)
        with catalog.transaction() as db:
            catalog.put_finding_vectors(db, [(report_id, ord_, to_blob(v))
                                             for (report_id, ord_, _), v in zip(missing, vectors, strict=True)])

    def ingest_file(self, path: Path) -> FileOutcome:
        """Ingest one file; every error becomes a failed outcome naming the reason."""
        try:
            return self._ingest(path)
        except KbError as exc:
            return FileOutcome(path, "failed", message=str(exc))
        except OSError as exc:
            return FileOutcome(path, "failed", message=f"Filen kan inte läsas: {exc.strerror or exc}")

    def _ingest(self, path: Path) -> FileOutcome:
        catalog = self.index.catalog
        if not path.exists():
            raise IngestError("Filen finns inte.")
        if path.is_dir():
            raise IngestError("Det är en mapp, inte en fil.")
        size = path.stat().st_size
        if size > self.index.config.max_file_bytes:
            raise IngestError(f"Filen är för stor ({size / 1e6:.2f} MB; gränsen är "
                              f"{self.index.config.max_file_bytes / 1e6:g} MB, KB_MAX_FILE_MB).")
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        overrides = overrides_for(path)
        source = str(path)
        if "id" in overrides and not _VALID_ID.fullmatch(str(overrides["id"])):
            raise IngestError(f"Ogiltigt id {overrides['id']!r} i metadatafilen: använd små bokstäver a–z, "
                              "siffror, punkt, bindestreck och understreck (högst 100 tecken).")
        report_id = overrides.get("id") or catalog.report_id_for_source(source) or self._free_id(path)
        fingerprint = hashlib.sha256(
            f"{sha}|{PIPELINE_VERSION}|{self.index.embedder.name}|{sorted(overrides.items())}".encode()
        ).hexdigest()
        if catalog.fingerprint(report_id) == fingerprint:
            return FileOutcome(path, "unchanged", report_id)
        twin = catalog.report_by_sha(sha)
        if twin and twin != report_id and catalog.report(twin).source != source:
            with catalog.transaction() as db:
                catalog.add_alias(db, twin, source)
            return FileOutcome(path, "duplicate", twin,
                               message=f"Samma innehåll som rapporten {twin}; namnet har registrerats.")
        previous = catalog.report(report_id)
        existed = previous is not None

        document = self.reader(path, max_bytes=self.index.config.max_file_bytes,
                               ocr=self.index.config.ocr)
        meta, sections, findings = self._understand(document, path, overrides, report_id)
        chunks = chunk_document(report_id, document, sections)
        if not chunks:
            raise IngestError("Filen innehåller ingen text att söka i.")
        aliases = previous.aliases if previous and previous.sha256 == sha else ()  # same content, same twins
        report = Report(id=report_id, meta=meta, source=source, sha256=sha, format=document.format,
                        chunk_count=len(chunks), aliases=aliases)
        vectors, line_vectors, finding_vectors = self._embed_chunks(chunks, meta, findings)

        if document.format == "pdf":
            self._keep_original(data, sha)
        old_ids = catalog.chunk_ids_of(report_id)
        self.index.vectors.upsert([c.id for c in chunks], vectors,
                                  [chunk_metadata(c, report) for c in chunks])
        with catalog.transaction() as db:
            catalog.replace_report(db, report, document.text, document.pages, document.warnings,
                                   fingerprint, chunks, findings)
            catalog.put_line_vectors(db, line_vectors)
            catalog.put_finding_vectors(db, [(report_id, i, blob) for i, blob in enumerate(finding_vectors)])
            self.index.lexical.upsert_in_transaction(report_id, [
                (c.id, contextual_text(c, meta), chunk_metadata(c, report)) for c in chunks])
        self.index.vectors.delete(old_ids - {c.id for c in chunks})
        return FileOutcome(path, "updated" if existed else "added", report_id, meta=meta,
                           chunks=len(chunks), warnings=document.warnings)

    def _free_id(self, path: Path) -> str:
        """An id from the file name that no other file's report holds: two 'rapport.pdf' in two
        folders must not overwrite each other."""
        base = slugify(path.stem)
        candidates = [base, f"{base}-{slugify(path.parent.name)}"]
        candidates += [f"{base}-{n}" for n in range(2, 1000)]
        return next(c for c in candidates if self.index.catalog.report(c) is None)

    def _keep_original(self, data: bytes, sha: str) -> None:
        """Keep a copy of a PDF under its hash, so citations open it at the page even if
        the source file moves; written whole or not at all."""
        folder = self.index.config.data_dir / "originals"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha}.pdf"
        if not target.exists():
            partial = target.with_suffix(".partial")
            partial.write_bytes(data)
            partial.replace(target)

    def _understand(self, document: Document, path: Path, overrides: dict, report_id: str):
        from ingest.findings import extract_findings
        from ingest.metadata import extract_metadata
        from ingest.structure import find_sections

        written = document.metadata
        if written.get("origin") == "front_matter":
            written = checked(written, f"{path.name}, metadata överst i filen")
        extracted = extract_metadata(document.text, file_name=path.name, file_metadata=written,
                                     markdown=document.format == "md")
        fields = {k: v for k, v in overrides.items() if k in ReportMeta.__dataclass_fields__}
        meta = replace(extracted, **fields)
        if not meta.title:
            meta = replace(meta, title=path.stem)
        sections = find_sections(document.text, markdown=document.format == "md")
        findings = extract_findings(document.text, sections, report_id)
        return meta, sections, findings

    def _embed_chunks(self, chunks: list[Chunk], meta: ReportMeta, findings: list[Finding]):
        """The chunks' vectors (of their contextual text), their pieces' vectors (kb/lines.py) as
        float16 blobs by chunk id, and the findings' vectors as float16 blobs in their order, from
        one pass over all three, so they share batches."""
        owned = [(chunk.id, piece) for chunk in chunks for piece in pieces(chunk.text)]
        texts = [contextual_text(c, meta) for c in chunks] + [piece for _, piece in owned]
        vectors = self._embed(texts + [f.text for f in findings], counted=len(chunks))
        rows: dict[str, list[int]] = {}
        for i, (chunk_id, _) in enumerate(owned, start=len(chunks)):
            rows.setdefault(chunk_id, []).append(i)
        return (vectors[: len(chunks)], {chunk_id: to_blob(vectors[i]) for chunk_id, i in rows.items()},
                [to_blob(v) for v in vectors[len(texts):]])

    def _embed(self, texts: list[str], *, counted: int):
        """Embed in groups of similar length (little padding for the model), in the input order;
        the progress bar counts the first `counted` texts (the chunks, not their pieces)."""
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = None
        for i in range(0, len(order), EMBED_BATCH):
            group = order[i : i + EMBED_BATCH]
            part = self.index.embedder.embed_passages([texts[j] for j in group])
            if vectors is None:
                vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
            vectors[group] = part
            self.progress(sum(1 for j in group if j < counted))
        return vectors
