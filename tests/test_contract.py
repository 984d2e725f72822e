"""The findings schema logrca ships is the contract's, and it is a valid JSON Schema."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from analyzer.findings import load_schema

SHARED_CONTRACT = Path(__file__).resolve().parents[1].parent / "shared" / "contract"


def test_shipped_schema_is_a_valid_json_schema():
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "logrca/findings/1"


@pytest.mark.skipif(not (SHARED_CONTRACT / "findings.schema.json").exists(), reason="../shared/contract is not beside this checkout")
def test_shipped_schema_matches_the_contract():
    contract = json.loads((SHARED_CONTRACT / "findings.schema.json").read_text(encoding="utf-8"))
    assert load_schema() == contract, "analyzer/findings.schema.json drifted from ../shared/contract/findings.schema.json"
