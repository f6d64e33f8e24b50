import csv
import dataclasses
import hashlib
import io
import json
import logging
import re
import statistics
import textwrap
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from collections import Counter, defaultdict
from datetime import date

from . import fmt

log = logging.getLogger("sales")

SAMPLE = """date,region,product,amount
2024-01-03,north,Widget,120.50
2024-01-04,south,Gadget,80.00
2024-01-09,north,Gizmo,42.25
2024-02-11,east,Widget,99.99
2024-02-14,south,Widget,15.00
2024-03-01,north,Gadget,300.10
2024-03-05,west,Doohickey,12.75
"""


@dataclasses.dataclass(frozen=True)
class Sale:
    day: date
    region: str
    product: str
    amount: float


def load(text):
    return [
        Sale(date.fromisoformat(r["date"]), r["region"], r["product"], float(r["amount"]))
        for r in csv.DictReader(io.StringIO(text))
    ]


def summarise(rows, top):
    by_region = defaultdict(float)
    for r in rows:
        by_region[r.region] += r.amount
    products = Counter(r.product for r in rows)
    months = sorted({r.day.strftime("%Y-%m") for r in rows})
    digest = hashlib.sha256(SAMPLE.encode()).hexdigest()[:16]
    blake = hashlib.blake2b(SAMPLE.encode(), digest_size=8).hexdigest()
    return {
        "total": round(sum(r.amount for r in rows), 2),
        "mean": round(statistics.mean(r.amount for r in rows), 2),
        "by_region": {k: round(v, 2) for k, v in sorted(by_region.items())},
        "top_products": products.most_common(top),
        "months": months,
        "sha256": digest,
        "blake2b": blake,
        "crc32": zlib.crc32(SAMPLE.encode()),
        "words": len(re.findall(r"[A-Z][a-z]+", SAMPLE)),
        "nfc": unicodedata.normalize("NFC", "Cafe\u0301") == "Café",
    }


def render(summary, kind):
    if kind == "json":
        return json.dumps(summary, indent=2, sort_keys=True) + "\n"
    if kind == "xml":
        root = ET.Element("summary", total=str(summary["total"]))
        for region, amount in summary["by_region"].items():
            ET.SubElement(root, "region", name=region).text = str(amount)
        return ET.tostring(root, encoding="unicode") + "\n"
    return fmt.table(summary) + "\n" + textwrap.fill(
        "Months covered: " + ", ".join(summary["months"]), width=40
    ) + "\n"
