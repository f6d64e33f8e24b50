"""Groups and summarises a small table with pandas (numpy, dateutil, pytz underneath)."""
import io

import pandas as pd

CSV = """\
date,region,product,units,price
2024-01-03,north,widget,12,2.50
2024-01-03,south,gadget,3,10.00
2024-01-04,north,gadget,5,9.50
2024-01-05,east,widget,7,2.75
2024-01-05,south,widget,9,2.40
2024-01-06,east,gadget,4,10.50
"""


def main():
    df = pd.read_csv(io.StringIO(CSV), parse_dates=["date"])
    df["revenue"] = df["units"] * df["price"]
    by_region = df.groupby("region")[["units", "revenue"]].sum().sort_index()
    print(by_region.to_string())
    pivot = df.pivot_table(index="product", columns="region", values="units", aggfunc="sum", fill_value=0)
    print(pivot.to_string())
    weekly = df.set_index("date")["revenue"].resample("2D").sum()
    print(weekly.to_string())
    print("mean price: %.3f" % df["price"].mean())
    print(df.describe().loc[["mean", "max"]].round(2).to_csv(), end="")


if __name__ == "__main__":
    main()
