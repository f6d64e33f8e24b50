def table(summary):
    lines = [f"{'region':<8} {'amount':>10}"]
    for region, amount in summary["by_region"].items():
        lines.append(f"{region:<8} {amount:>10.2f}")
    lines.append(f"{'total':<8} {summary['total']:>10.2f}")
    lines.append(f"top: {', '.join(f'{p} x{n}' for p, n in summary['top_products'])}")
    lines.append(f"sha256={summary['sha256']} blake2b={summary['blake2b']} crc32={summary['crc32']}")
    return "\n".join(lines)
