"""The `kb` command, through click's runner against real indexes."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kbcli.main import cli

HIT_FIELDS = {"rank", "score", "chunk_id", "report_id", "title", "kommun", "year", "firm",
              "section", "page", "start", "end", "text", "url"}


def _env(index) -> dict:
    cfg = index.config
    return {"KB_DATA_DIR": str(cfg.data_dir), "KB_CACHE_DIR": str(cfg.cache_dir),
            "KB_MODEL": cfg.model}


@pytest.mark.parametrize("command", [[], ["ingest"], ["search"], ["serve"], ["reports"], ["eval"],
                                     ["findings"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path):
    """The real `kb serve` process, on a port another socket holds: one Swedish line, no traceback."""
    import socket

    from tests.kb_process import kb_env, run_kb

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_kb("serve", "--port", str(port), env=kb_env(tmp_path / "data"), timeout=120)
    assert result.returncode != 0
    assert f"Porten {port} är upptagen" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr, result.stderr


@pytest.mark.slow
def test_search_json_has_the_contract_fields(corpus_index):
    result = CliRunner().invoke(cli, ["search", "samverkan med Arbetsförmedlingen", "-k", "5",
                                      "--json"], env=_env(corpus_index))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["query"] == "samverkan med Arbetsförmedlingen"
    assert len(payload["hits"]) == 5 and payload["places_first"] == []
    for hit in payload["hits"]:
        assert set(hit) >= HIT_FIELDS
    named = CliRunner().invoke(cli, ["search", "samverkan med Arbetsförmedlingen i Orsa", "--json"],
                               env=_env(corpus_index))
    payload = json.loads(named.output)
    assert payload["places_first"] == ["Orsa"] and payload["hits"][0]["kommun"] == "Orsa"


@pytest.mark.slow
def test_search_stdin_writes_one_json_object_a_line(corpus_index):
    queries = "budgetuppföljning\nintern kontroll försörjningsstöd\n\nrekommendationer\n"
    result = CliRunner().invoke(cli, ["search", "--json", "--stdin", "-k", "3"], input=queries,
                                env=_env(corpus_index))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == ["budgetuppföljning",
                                                "intern kontroll försörjningsstöd",
                                                "rekommendationer"]
    assert all(len(line["hits"]) == 3 for line in lines)


@pytest.mark.slow
def test_search_stdin_names_a_failed_query_the_way_it_prints_the_others(corpus_index):
    """With --json a refused query is a JSON line like the rest; as text it is an error line on
    stderr, and the other queries still print their passages."""
    queries = "budgetuppföljning\n" + "x" * 1001 + "\n***\n"
    as_json = CliRunner().invoke(cli, ["search", "--json", "--stdin", "-k", "2"], input=queries, env=_env(corpus_index))
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert as_json.exit_code == 1 and [("error" in line) for line in lines] == [False, True, True]
    as_text = CliRunner().invoke(cli, ["search", "--stdin", "-k", "2"], input=queries, env=_env(corpus_index))
    assert as_text.exit_code == 1 and "{" not in as_text.stdout and "1. [" in as_text.stdout
    assert "för lång" in as_text.stderr and "inga sökbara ord" in as_text.stderr


@pytest.mark.slow
def test_search_corrects_spelling_and_says_so_unless_exact(corpus_index):
    query = "genomförandplan forsorjningsstod"
    payload = json.loads(CliRunner().invoke(cli, ["search", query, "-k", "2", "--json"],
                                            env=_env(corpus_index)).output)
    assert payload["query"] == query and payload["searched"] == "genomförandeplan försörjningsstöd"
    assert payload["corrections"] == [{"typed": "genomförandplan", "corrected": "genomförandeplan"},
                                      {"typed": "forsorjningsstod", "corrected": "försörjningsstöd"}]
    text = CliRunner().invoke(cli, ["search", query, "-k", "2"], env=_env(corpus_index))
    assert "Sökte efter: genomförandeplan försörjningsstöd" in text.output
    exact = json.loads(CliRunner().invoke(cli, ["search", query, "-k", "2", "--json", "--exact"],
                                          env=_env(corpus_index)).output)
    assert exact["searched"] == query and exact["corrections"] == []


@pytest.mark.slow
def test_search_prints_citations(corpus_index):
    result = CliRunner().invoke(cli, ["search", "långtidsarbetslösa", "-k", "2"],
                                env=_env(corpus_index))
    assert result.exit_code == 0, result.output
    assert "1. [" in result.output and "/reports/" in result.output


@pytest.mark.parametrize("args, message", [
    (["search", ""], "Skriv något"),
    (["search", "x" * 1001], "för lång"),
    (["search", "...!!!"], "Frågan innehåller inga sökbara ord."),
    (["search", "kontroll", "-k", "0"], "mellan 1 och 100"),
    (["search", "kontroll", "-k", "101"], "mellan 1 och 100"),
])
def test_bad_search_input_is_a_clear_error(fake_index, args, message):
    result = CliRunner().invoke(cli, args, env=_env(fake_index))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_ingest_reports_failures_and_exits_non_zero(fake_index, tmp_path, corpus_copy):
    bad = tmp_path / "inte-en-rapport.pdf"
    bad.write_bytes(b"\x00\x01 not a pdf at all")
    result = CliRunner().invoke(cli, ["ingest", str(corpus_copy / "orsa-2015-resurscentrum.txt"),
                                      str(bad)], env=_env(fake_index))
    assert result.exit_code == 1
    assert "inte-en-rapport.pdf" in result.output
    assert "added=1" in result.output and "failed=1" in result.output
    again = CliRunner().invoke(cli, ["ingest", str(corpus_copy / "orsa-2015-resurscentrum.txt")],
                               env=_env(fake_index))
    assert again.exit_code == 0 and "unchanged=1" in again.output


def test_reports_lists_metadata_and_counts(fake_index, corpus_copy):
    CliRunner().invoke(cli, ["ingest", str(corpus_copy)], env=_env(fake_index))
    result = CliRunner().invoke(cli, ["reports", "--json"], env=_env(fake_index))
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert len(rows) == 5
    ale = rows["ale-2015-arbetsmarknadsenhet-forsorjningsstod"]
    assert (ale["kommun"], ale["firm"], ale["year"]) == ("Ale", "KPMG", 2015)
    assert ale["chunks"] > 5 and ale["source"].endswith(".txt")


def test_findings_say_which_kommun_the_archive_lacks_and_label_kinds_as_the_site(fake_index, corpus_copy):
    """`kb findings --kommun Stockholm` printed nothing and exited 0, and kinds read 'revisionsfraga'."""
    CliRunner().invoke(cli, ["ingest", str(corpus_copy)], env=_env(fake_index))
    missing = CliRunner().invoke(cli, ["findings", "--kommun", "Stockholm"], env=_env(fake_index))
    assert missing.exit_code == 1 and missing.stdout == ""
    assert ("Kommunen 'Stockholm' finns inte i arkivet. Kommuner i arkivet: Ale, Mellerud, Orsa, Strömsund, "
            "Ödeshög.") in missing.stderr
    found = CliRunner().invoke(cli, ["findings", "--kommun", "mellerud"], env=_env(fake_index))
    assert found.exit_code == 0 and found.stderr == ""
    assert "Mellerud 2024 · Revisionsfråga [ja]: " in found.stdout and "Rekommendation: " in found.stdout
    assert "revisionsfraga" not in found.stdout
    as_json = json.loads(CliRunner().invoke(cli, ["findings", "--kommun", "Mellerud", "--json"],
                                            env=_env(fake_index)).stdout)
    assert {row["kind"] for row in as_json} == {"revisionsfraga", "rekommendation"}


def test_remove_names_the_same_report_twice_and_removes_it_once(fake_index, corpus_copy):
    """`kb remove orsa orsa` removed it, then said 'FEL … finns inte' and exited 1."""
    CliRunner().invoke(cli, ["ingest", str(corpus_copy)], env=_env(fake_index))
    result = CliRunner().invoke(cli, ["remove", "orsa-2015-resurscentrum", "orsa-2015-resurscentrum"],
                                env=_env(fake_index))
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.count("Borttagen: orsa-2015-resurscentrum") == 1


def test_eval_prints_the_three_methods_side_by_side(fake_index, corpus_copy):
    from pathlib import Path

    CliRunner().invoke(cli, ["ingest", str(corpus_copy)], env=_env(fake_index))
    small = Path(__file__).parent / "data" / "eval_small.jsonl"
    result = CliRunner().invoke(cli, ["eval", "--set", str(small), "--worst", "2"], env=_env(fake_index))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Index: 5 reports, ") and "model hashing-" in lines[0]  # what was measured
    header = next(line for line in lines if line.startswith("method"))
    assert header.split()[2:] == ["ndcg@10", "recall@5", "mrr@10", "hit@1", "best@1"]
    for method in ("lexical", "dense", "fusion", "hybrid"):
        row = next(line for line in lines if line.startswith(method)).split()
        assert row[1] == "3" and all(0.0 <= float(x) <= 1.0 for x in row[2:])
    for method in ("lexical", "dense", "fusion"):  # how far hybrid is ahead, and how sure that is
        assert re.search(rf"^hybrid − {method} +ndcg@10 [+-]\d\.\d{{3}} \(95 % interval [+-]\d\.\d{{3}} to "
                         rf"[+-]\d\.\d{{3}}, paired bootstrap over 3 queries\)$", result.output, re.MULTILINE)
    assert "Worst hybrid queries:" in result.output
    assert "in-sample" not in result.output  # not the set the reranker learned from
    dev = Path(__file__).parents[1] / "eval" / "dev.jsonl"
    trained = CliRunner().invoke(cli, ["eval", "--set", str(dev), "--worst", "0"], env=_env(fake_index))
    assert "These judgments trained the reranker, so its hybrid row is in-sample" in trained.output
    assert "warning: the index lacks documents dev.jsonl is judged on (Simrishamn_Bokslut_2025.pdf, " \
           "kungsbacka_2023_informationssakerhet_i_praktiken.md)" in trained.stderr  # corpus/ alone
    assert "warning" not in result.stderr  # the small set's reports are all there
    off = CliRunner().invoke(cli, ["eval", "--set", str(dev), "--worst", "0"],
                             env={**_env(fake_index), "KB_RERANK": "0"})
    assert off.exit_code == 0 and "in-sample" not in off.output
    pooled = CliRunner().invoke(cli, ["eval", "--set", str(small), "--judged-by", "pool"], env=_env(fake_index))
    assert pooled.exit_code == 0, pooled.output
    assert "(1 queries)" in pooled.output  # the one query with a pooled judgment
