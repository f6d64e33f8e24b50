# pytz: zones from its bundled zoneinfo files, localize/normalize across DST.
import datetime
import pytz
tz = pytz.timezone("America/New_York")
d = tz.localize(datetime.datetime(2024, 3, 10, 1, 30))
print(d, d.tzname(), tz.normalize(d + datetime.timedelta(hours=1)))
print(pytz.timezone("Asia/Kolkata").utcoffset(datetime.datetime(2024, 1, 1)))
print(len(pytz.all_timezones) > 400, "Europe/Paris" in pytz.common_timezones)
print(pytz.utc.localize(datetime.datetime(2024, 6, 1)).astimezone(pytz.timezone("Australia/Sydney")))
try:
    pytz.timezone("Nowhere/City")
except pytz.UnknownTimeZoneError as e:
    print("unknown", e)
print(pytz.country_timezones("ch"), pytz.country_names["fr"])
