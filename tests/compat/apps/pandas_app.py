# pandas: frames, groupby, merge, pivot, time series with time zones
# (zoneinfo/tzdata, dateutil), CSV/JSON round trips, string methods.
import io
import numpy as np
import pandas as pd
pd.set_option("display.width", 120)
df = pd.DataFrame({"city": ["a", "b", "a", "c", "b", "a"],
                   "temp": [20.5, 18.0, 22.1, 25.3, 17.2, 21.0],
                   "rain": [0, 5, 1, 0, 7, 2]})
print(df.groupby("city").agg(mean_t=("temp", "mean"), rain=("rain", "sum")).round(3))
print(df.describe().round(3))
other = pd.DataFrame({"city": ["a", "b", "d"], "country": ["X", "Y", "Z"]})
print(df.merge(other, on="city", how="left").fillna("?").to_string())
print(df.pivot_table(index="city", values="rain", aggfunc="max"))
idx = pd.date_range("2024-03-30", periods=4, freq="D", tz="Europe/Berlin")
ts = pd.Series(range(4), index=idx)
print(ts)
print(ts.tz_convert("UTC").index.strftime("%Y-%m-%d %H:%M").tolist())
print(pd.Series(pd.to_datetime(["2024-01-05", "2024-02-10"])).dt.day_name().tolist())
csv = df.to_csv(index=False)
print(pd.read_csv(io.StringIO(csv)).equals(df))
print(pd.read_json(io.StringIO(df.to_json(orient="records")), orient="records").shape)
s = pd.Series(["Apple pie", "banana split", None], dtype="string")
print(s.str.upper().tolist(), s.str.contains("an").tolist())
print(pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True).max())
print(df.rolling(2).temp.mean().round(2).tolist())
print(pd.__version__)
