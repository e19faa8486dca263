"""What `superstore import` does with bad input. A bad line does not stop the
import: it is reported with its line number and reason (on stderr and in the
rejected-lines report), the other lines land, and the exit code (6) says
that lines were refused. A file that cannot be read at all (missing, wrong
header, truncated Parquet) exits 4 and publishes nothing, not even the good
files given with it."""

import csv
import subprocess

from confluent_kafka.admin import AdminClient

from support.dataset import dataset_file
from support.superstore import ROOT, run_superstore, run_until_idle, superstore_binary

HEADER = [
    "Row ID", "Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID", "Customer Name", "Segment",
    "Country", "City", "State", "Postal Code", "Region", "Product ID", "Category", "Sub-Category",
    "Product Name", "Sales", "Quantity", "Discount", "Profit",
]
# Line 1 of the dataset.
FIRST_LINE = {
    "Row ID": "1", "Order ID": "CA-2016-152156", "Order Date": "2016-11-08", "Ship Date": "2016-11-11",
    "Ship Mode": "Second Class", "Customer ID": "CG-12520", "Customer Name": "Claire Gute", "Segment": "Consumer",
    "Country": "United States", "City": "Henderson", "State": "Kentucky", "Postal Code": "42420", "Region": "South",
    "Product ID": "FUR-BO-10001798", "Category": "Furniture", "Sub-Category": "Bookcases",
    "Product Name": "Bush Somerset Collection Bookcase", "Sales": "261.96", "Quantity": "2", "Discount": "0",
    "Profit": "41.9136",
}


def line(row_id: int, **changes) -> list[str]:
    values = {**FIRST_LINE, "Row ID": str(row_id), "Order ID": f"CA-2016-{900000 + row_id}", **changes}
    return [values[column] for column in HEADER]


def import_file(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(superstore_binary()), "import", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def topic_exists(bootstrap: str, topic: str) -> bool:
    return topic in AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics


def test_bad_lines_are_refused_with_their_line_numbers_and_the_rest_lands(endpoints, db, topic, tmp_path):
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)  # line 1
        out.writerow(line(1))  # line 2
        out.writerow(line(2, **{"Product Name": "Chairs, Rounded Back"}))  # line 3: a comma, quoted
        out.writerow(line(3, **{"Product Name": "Two\nlines"}))  # lines 4-5: a line break, quoted
        out.writerow(line(4, Sales="12.3x"))  # line 6
        out.writerow(line(5, **{"Order Date": "2016-13-45"}))  # line 7
        out.writerow(line(6, **{"Ship Mode": "Third Class"}))  # line 8
        f.write("7,CA-2016-900007,2016-11-08\r\n")  # line 9: three fields
        out.writerow(line(8, Profit="300.00"))  # line 10: profit above sales
        out.writerow(line(1))  # line 11: Row ID 1 again
        out.writerow(line(10, **{"Postal Code": "5408", "State": "Vermont"}))  # line 12
        out.writerow(line(11, Profit="1.23456"))  # line 13: five decimals
        out.writerow(line(12, Sales="22.368", Profit="-6599.978"))  # line 14
    expected_refusals = {
        6: "unparsable_number",
        7: "unparsable_date",
        8: "unknown_label",
        9: "malformed_line",
        10: "breaks_domain_rule",
        11: "duplicate_row_id",
        13: "unparsable_number",
    }

    # A dataset of the test's own: its event ids are new on every run.
    dataset = f"orders-{topic}"
    result = import_file(str(path), "--topic", topic, "--dataset", dataset, "--rejects-dir", str(tmp_path / "rejects"))
    assert result.returncode == 6, result.stderr
    assert "12 lines read, 5 published, 7 refused" in result.stdout, result.stdout
    for number, reason in expected_refusals.items():
        assert f"orders.csv line {number}: {reason}: " in result.stderr, f"line {number} in {result.stderr}"
    assert 'Sales "12.3x": is not a number' in result.stderr
    assert "unknown ShipMode label \"Third Class\"" in result.stderr
    assert "profit_exceeds_sales" in result.stderr

    [report] = (tmp_path / "rejects").iterdir()
    assert str(report) in result.stderr, "the report is named at the end"
    with open(report, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {int(r["number"]): r["reason"] for r in rows} == expected_refusals
    assert all(r["position"] == "line" and r["detail"] for r in rows)

    assert "accepted 5, rejected 0" in run_until_idle(topic)
    staged = db.execute(
        "select order_id, postal_code, sales, profit, product_name from staging.sales_events where kafka_topic = %s order by order_id",
        (topic,),
    ).fetchall()
    assert [r[0] for r in staged] == [f"CA-2016-{900000 + n}" for n in (1, 2, 3, 10, 12)]
    assert staged[2][4] == "Two\nlines"
    assert staged[3][1] == "05408", "a ZIP that lost its leading zero gets it back"
    assert (str(staged[4][2]), str(staged[4][3])) == ("22.3680", "-6599.9780")


def test_a_wrong_header_exits_4_and_publishes_nothing(endpoints, topic, tmp_path):
    path = tmp_path / "renamed.csv"
    header = ["Revenue" if c == "Sales" else c for c in HEADER if c != "Profit"]
    path.write_text(",".join(header) + "\n" + ",".join(line(1)[:-1]) + "\n", encoding="utf-8")
    result = import_file(str(path), "--topic", topic)
    assert result.returncode == 4, result.stderr
    assert 'the header lacks "Sales", "Profit"' in result.stderr, result.stderr
    assert "Nothing was published" in result.stderr
    assert not topic_exists(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)


def test_a_missing_file_exits_4_and_the_good_file_beside_it_is_not_published(endpoints, topic, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(",".join(HEADER) + "\n" + ",".join(line(1)) + "\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"
    result = import_file(str(good), str(missing), "--topic", topic)
    assert result.returncode == 4, result.stderr
    assert f"{missing}: cannot read it" in result.stderr
    assert not topic_exists(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)


def test_a_truncated_parquet_file_exits_4_and_publishes_nothing(endpoints, topic, tmp_path):
    whole = dataset_file("superstore.parquet").read_bytes()
    truncated = tmp_path / "superstore.parquet"
    truncated.write_bytes(whole[: len(whole) // 2])
    result = import_file(str(truncated), "--topic", topic)
    assert result.returncode == 4, result.stderr
    assert "not a readable Parquet file" in result.stderr, result.stderr
    assert not topic_exists(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)


def test_a_file_of_unknown_format_asks_for_format(tmp_path):
    path = tmp_path / "orders.txt"
    path.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    result = import_file(str(path), "--dry-run")
    assert result.returncode == 2
    assert "--format csv" in result.stderr
    assert run_superstore("import", str(path), "--format", "csv", "--dry-run").stdout == ""
