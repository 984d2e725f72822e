"""Parsing accuracy of `logrca templates` on Loghub-2k: GA, PA, FGA, FTA per dataset and on average.

    python bench/parsing_accuracy.py                 # raw .log files through read_logs, as a user runs it
    python bench/parsing_accuracy.py --content       # the ground truth's own Content column (mining alone)
    python bench/parsing_accuracy.py --show Linux    # also list the worst-grouped templates of one dataset

The metrics are those of the data folder's README (logpai's definitions): GA counts a line as correct when its
predicted group holds exactly the lines of its true group; PA when its template equals the true one once both are
normalised (runs of <*> and spaces folded); FGA and FTA are F1 over groups and over exactly-right templates.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.template_postprocess import normalise_template  # noqa: E402
from analyzer.templates import TemplateMiner  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "loghub_2k"


def score(truth_ids: pd.Series, truth_templates: pd.Series, pred_ids: pd.Series, pred_templates: pd.Series) -> dict:
    """GA, PA, FGA, FTA of one dataset; all four Series are per line, aligned."""
    df = pd.DataFrame(
        {
            "t": truth_ids.to_numpy(),
            "tt": truth_templates.map(normalise_template).to_numpy(),
            "p": pred_ids.to_numpy(),
            "pt": pred_templates.map(normalise_template).to_numpy(),
        }
    )
    true_sizes = df.groupby("t").size()
    per_pred = df.groupby("p").agg(n=("t", "size"), kinds=("t", "nunique"), t=("t", "first"))
    exact = per_pred[(per_pred.kinds == 1) & (per_pred.n == true_sizes.reindex(per_pred.t).to_numpy())]
    ga = exact.n.sum() / len(df)
    pa = (df.tt == df.pt).mean()
    fga = _f1(len(exact), len(per_pred), len(true_sizes))
    pred_text = df.groupby("p").pt.first()
    true_text = df.groupby("t").tt.first()
    right_text = (pred_text.reindex(exact.index).to_numpy() == true_text.reindex(exact.t).to_numpy()).sum()
    fta = _f1(right_text, len(per_pred), len(true_sizes))
    return {"GA": ga, "PA": pa, "FGA": fga, "FTA": fta, "templates": len(per_pred), "truth": len(true_sizes)}


def _f1(correct: int, predicted: int, actual: int) -> float:
    if correct == 0:
        return 0.0
    precision, recall = correct / predicted, correct / actual
    return 2 * precision * recall / (precision + recall)


def predict_from_content(truth: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    miner = TemplateMiner()
    provisional = miner.add(truth["Content"].astype("str"))
    templates = miner.finish()
    ids = templates.final_ids(provisional)
    return pd.Series(ids), pd.Series(ids).map(templates.texts)


def predict_from_raw(log_path: Path) -> tuple[pd.Series, pd.Series]:
    from analyzer.assignments import run_templates
    from parsers.records import ParseOptions

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "assignments.csv"
        run_templates([str(log_path)], ParseOptions(), str(out), None)
        rows = pd.read_csv(out, dtype={"template": "str"}, keep_default_na=False)
    return rows["template_id"], rows["template"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", action="store_true", help="mine the ground truth's Content column")
    parser.add_argument("--show", help="dataset whose mis-grouped templates to list")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no Loghub data at {DATA}")
    rows = []
    for folder in sorted(p for p in DATA.iterdir() if p.is_dir()):
        name = folder.name
        truth = pd.read_csv(folder / f"{name}_2k.log_structured_corrected.csv", dtype="str", keep_default_na=False)
        if args.content:
            ids, texts = predict_from_content(truth)
        else:
            ids, texts = predict_from_raw(folder / f"{name}_2k.log")
        if len(ids) != len(truth):
            print(f"{name}: {len(ids)} lines assigned, ground truth has {len(truth)}", file=sys.stderr)
            ids, texts = ids.reindex(range(len(truth))).fillna(-1), texts.reindex(range(len(truth))).fillna("")
        result = score(truth["EventId"], truth["EventTemplate"], ids, texts)
        rows.append({"dataset": name, **result})
        if args.show == name:
            _show_errors(truth, ids, texts)
    table = pd.DataFrame(rows).set_index("dataset").astype(float)
    table.loc["average"] = table.mean()
    table[["templates", "truth"]] = table[["templates", "truth"]].round(1)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print(table.to_string(formatters={"templates": "{:.0f}".format, "truth": "{:.0f}".format}))


def _show_errors(truth: pd.DataFrame, ids: pd.Series, texts: pd.Series) -> None:
    df = pd.DataFrame({"t": truth.EventTemplate.map(normalise_template), "p": texts.map(normalise_template).values})
    bad = df[df.t != df.p].value_counts().head(40)
    for (t, p), n in bad.items():
        print(f"{n:5d}  truth: {t[:150]}\n       mined: {p[:150]}")


if __name__ == "__main__":
    main()
