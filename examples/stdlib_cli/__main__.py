"""A small CLI using a cross-section of the stdlib: summarises a CSV of sales."""
import argparse
import sys

from stdlib_cli_lib import report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="sales", description="Summarise sales data.")
    parser.add_argument("--format", choices=["text", "json", "xml"], default="text")
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args(argv)
    rows = report.load(report.SAMPLE)
    summary = report.summarise(rows, args.top)
    sys.stdout.write(report.render(summary, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
